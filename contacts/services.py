"""Writes on contacts. Every way a person enters the system (API, bulk sync, CSV import, forms, walk-ins)
goes through `contact_upsert`, so matching, consent and attribution follow one set of rules.

Match order for a write by organization X (issue 4): X's external id, then email, then a mobile (or
not-known-to-be-landline) phone; no match creates. A shared email or phone whose holder has a clearly different
given name (a parent and a child) does not match: a new contact is created and both are flagged "shared_email"
/ "shared_phone". A weak match (same family name and given name spelled alike, at the same household or ZIP)
never merges: it records a PossibleDuplicate for a person to review.
"""
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from organizations.errors import Conflict, DomainError
from organizations.models import Organization

from .consent import consent_record
from .models import (Contact, ContactAddress, ContactChange, ContactEmail, ContactPhone, OrganizationContact,
                     PossibleDuplicate, Tag, Tagging)
from .normalize import clearly_different_given_names, name_key, similar_names


@dataclass
class UpsertResult:
    contact: Contact
    outcome: str                 # created | updated | unchanged
    rule: str | None = None      # external_id | email | phone when matched
    warnings: list[str] = field(default_factory=list)
    possible_duplicates: list[PossibleDuplicate] = field(default_factory=list)


def resolve(contact: Contact) -> Contact:
    """Follow merges to the surviving contact."""
    seen = set()
    while contact.merged_into_id and contact.pk not in seen:
        seen.add(contact.pk)
        contact = Contact.objects.get(pk=contact.merged_into_id)
    return contact


def _live(queryset, coalition_id):
    return queryset.filter(contact__coalition_id=coalition_id, contact__erased_at__isnull=True)


def find_match(organization: Organization, person: dict) -> tuple[Contact | None, str | None, list[tuple]]:
    """(contact, rule, flags). flags are (other_contact, reason) pairs for a shared email/phone."""
    flags = []
    given = person.get("given_name", "")
    if person.get("external_id"):
        link = OrganizationContact.objects.filter(organization=organization,
                                                  external_id=person["external_id"]).select_related("contact").first()
        if link:
            return resolve(link.contact), "external_id", flags
    for email in person.get("emails", []):
        for row in _live(ContactEmail.objects.filter(normalized__iexact=email["normalized"]),
                         organization.coalition_id).select_related("contact")[:5]:
            candidate = resolve(row.contact)
            if clearly_different_given_names(given, candidate.given_name):
                flags.append((candidate, "shared_email"))
                continue
            return candidate, "email", flags
    for phone in person.get("phones", []):
        if phone["type"] == "landline":
            continue
        rows = _live(ContactPhone.objects.filter(number=phone["number"]).exclude(type="landline"),
                     organization.coalition_id).select_related("contact")[:5]
        for row in rows:
            candidate = resolve(row.contact)
            if clearly_different_given_names(given, candidate.given_name):
                flags.append((candidate, "shared_phone"))
                continue
            return candidate, "phone", flags
    return None, None, flags


def _weak_matches(contact: Contact) -> list[tuple[Contact, list[str]]]:
    """Same family name, given name spelled alike, and the same household or ZIP."""
    if not contact.family_key:
        return []
    households = {a.household_key for a in contact.addresses.all() if a.household_key}
    zips = {a.postal_code[:5] for a in contact.addresses.all() if a.postal_code}
    if not households and not zips:
        return []
    candidates = (Contact.objects.live().filter(coalition_id=contact.coalition_id, family_key=contact.family_key)
                  .exclude(pk=contact.pk)
                  .filter(Q(addresses__household_key__in=households) | Q(addresses__postal_code__in=zips))
                  .prefetch_related("addresses").distinct()[:20])
    found = []
    for other in candidates:
        if not similar_names(contact.given_name, other.given_name):
            continue
        reasons = ["same_name" if contact.given_key == other.given_key else "similar_name"]
        other_households = {a.household_key for a in other.addresses.all()}
        reasons.append("same_address" if households & other_households else "same_zip")
        found.append((other, reasons))
    return found


def flag_duplicate(contact: Contact, other: Contact, reasons: list[str], organization) -> PossibleDuplicate:
    first, second = sorted([contact, other], key=lambda c: str(c.pk))
    duplicate, created = PossibleDuplicate.objects.get_or_create(
        contact=first, other=second, defaults={"reasons": reasons, "organization": organization})
    if not created and set(reasons) - set(duplicate.reasons):
        duplicate.reasons = sorted(set(duplicate.reasons) | set(reasons))
        duplicate.save(update_fields=["reasons"])
    return duplicate


def record_change(contact: Contact, kind: str, organization=None, **details) -> None:
    ContactChange.objects.create(contact=contact, kind=kind, organization=organization, details=details)


def _add_supplier(row, organization) -> bool:
    if organization.pk in row.supplied_by:
        return False
    row.supplied_by = [*row.supplied_by, organization.pk]
    row.save(update_fields=["supplied_by"])
    return True


def _merge_values(contact: Contact, person: dict, organization) -> bool:
    """Add the emails, phones and addresses the contact lacks (values are kept, never replaced)."""
    changed = False
    emails = {e.normalized.upper(): e for e in contact.emails.all()}
    for email in person.get("emails", []):
        existing = emails.get(email["normalized"].upper())
        if existing:
            changed |= _add_supplier(existing, organization)
            continue
        emails[email["normalized"].upper()] = ContactEmail.objects.create(
            contact=contact, address=email["address"], normalized=email["normalized"],
            primary=email["primary"] or not emails, supplied_by=[organization.pk])
        changed = True
    phones = {p.number: p for p in contact.phones.all()}
    for phone in person.get("phones", []):
        existing = phones.get(phone["number"])
        if existing:
            changed |= _add_supplier(existing, organization)
            continue
        phones[phone["number"]] = ContactPhone.objects.create(
            contact=contact, raw=phone["raw"], number=phone["number"], type=phone["type"],
            primary=phone["primary"] or not phones, supplied_by=[organization.pk])
        changed = True
    addresses = {(a.household_key or a.line1.upper(), a.postal_code): a for a in contact.addresses.all()}
    for item in person.get("addresses", []):
        address = item["address"]
        key = (address.household_key or address.line1.upper(), address.postal_code)
        existing = addresses.get(key)
        if existing:
            changed |= _add_supplier(existing, organization)
            continue
        addresses[key] = ContactAddress.objects.create(
            contact=contact, line1=address.line1, line2=address.line2, city=address.city, state=address.state,
            postal_code=address.postal_code, number=address.number, street=address.street, unit=address.unit,
            household_key=address.household_key, latitude=address.latitude, longitude=address.longitude,
            precision=address.precision, parsed=address.parsed, primary=item["primary"] or not addresses,
            supplied_by=[organization.pk])
        changed = True
    return changed


def _apply_names(contact: Contact, person: dict, overwrite: bool) -> bool:
    """Names are filled when blank; replaced only by an organization that already held the contact (or an
    explicit update), so a match through a shared email never renames someone another member holds."""
    changed = False
    for name in ("given_name", "family_name", "language"):
        if person.get(name) and person[name] != getattr(contact, name) and (overwrite or not getattr(contact, name)):
            setattr(contact, name, person[name])
            changed = True
    contact.given_key, contact.family_key = name_key(contact.given_name), name_key(contact.family_name)
    return changed


def tags_apply(*, contact: Contact, organization, names: list[str]) -> bool:
    """Tag the contact with the organization's own tags (created on first use), or with coalition-wide tags
    of the same name when the organization has none of its own."""
    changed = False
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        tag = (Tag.objects.filter(organization=organization, name=name).first()
               or Tag.objects.filter(organization__isnull=True, coalition_id=organization.coalition_id,
                                     name=name).first()
               or Tag.objects.create(coalition_id=organization.coalition_id, organization=organization, name=name))
        _, created = Tagging.objects.get_or_create(tag=tag, contact=contact, defaults={"organization": organization})
        changed |= created
    return changed


def _apply_link(contact: Contact, person: dict, organization, source: str) -> tuple[OrganizationContact, bool]:
    link, created = OrganizationContact.objects.get_or_create(
        organization=organization, contact=contact, defaults={"source": source})
    changed = created
    external_id = person.get("external_id")
    if external_id and link.external_id != external_id:
        taken = OrganizationContact.objects.filter(organization=organization, external_id=external_id).exclude(
            pk=link.pk).exists()
        if taken:
            raise Conflict("external_id_taken", f"external_id {external_id!r} belongs to another of your contacts",
                           field="external_id")
        link.external_id, changed = external_id, True
    if "custom_fields" in person and {**link.custom_fields, **person["custom_fields"]} != link.custom_fields:
        link.custom_fields, changed = {**link.custom_fields, **person["custom_fields"]}, True
    if "notes" in person and person["notes"] != link.notes:
        link.notes, changed = person["notes"], True
    if changed:
        link.modified_at = timezone.now()
        link.save()
    return link, changed


@transaction.atomic
def contact_upsert(*, organization: Organization, person: dict, source: str = "api", actor=None,
                   contact: Contact | None = None) -> UpsertResult:
    """Match or create the person (validated by contacts.inputs.PersonInput) for `organization`, merge in its
    values, link it to the organization, apply tags and consents. With `contact`, update that contact."""
    flags = []
    rule = None
    explicit = contact is not None
    if contact is None:
        contact, rule, flags = find_match(organization, person)
    created = contact is None
    if created:
        contact = Contact(coalition_id=organization.coalition_id)
    held_before = not created and OrganizationContact.objects.filter(organization=organization,
                                                                     contact=contact).exists()
    changed = _apply_names(contact, person, overwrite=created or explicit or held_before)
    if created or changed:
        contact.modified_at = timezone.now()
        contact.save()
    changed |= _merge_values(contact, person, organization)
    try:
        with transaction.atomic():
            _, link_changed = _apply_link(contact, person, organization, source)
    except IntegrityError:
        raise Conflict("external_id_taken", "external_id belongs to another of your contacts", field="external_id")
    changed |= link_changed
    changed |= tags_apply(contact=contact, organization=organization, names=person.get("tags", []))
    warnings = []
    for item in person.get("consents", []):
        outcome = consent_record(contact=contact, recorded_by=organization, actor=actor, **item)
        if outcome.ignored_reason and outcome.ignored_reason != "unchanged":
            warnings.append(f"consents: {item['channel']}/{item['scope']}: {outcome.ignored_reason}")
        changed |= not outcome.ignored_reason
    duplicates = [flag_duplicate(contact, other, [reason], organization) for other, reason in flags]
    if created:
        duplicates += [flag_duplicate(contact, other, reasons, organization) for other, reasons in
                       _weak_matches(contact)]
    if changed and not created:
        Contact.objects.filter(pk=contact.pk).update(modified_at=timezone.now())
    if created or changed:
        contact.refresh_from_db(fields=["modified_at", "coalition_shared"])
        record_change(contact, "created" if created else "updated")
    outcome = "created" if created else ("updated" if changed else "unchanged")
    return UpsertResult(contact, outcome, rule, warnings, duplicates)


def contact_for_write(organization: Organization, contact_id) -> Contact:
    """The live contact behind an id (following merges), if the organization may write it; else 404."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is not None:
        contact = resolve(contact)
    if contact is None or not Contact.objects.writable_by(organization).filter(pk=contact.pk).exists():
        raise DomainError("not_found", "Not found.", status=404)
    return contact
