"""Writes on contacts. Every way a person enters the system (API, bulk sync, CSV import, forms, walk-ins)
goes through `contact_upsert` (a batch of one of contacts.batch, the single implementation of the rules), so
matching, consent and attribution follow one set of rules.

Match order for a write by organization X (issue 4): X's external id, then email, then a mobile (or
not-known-to-be-landline) phone; no match creates. A shared email or phone whose holder has a clearly different
given name (a parent and a child) does not match: a new contact is created and both are flagged "shared_email"
/ "shared_phone". A weak match (same family name and given name spelled alike, at the same household or ZIP)
never merges: it records a PossibleDuplicate for a person to review.

Every write on a contact records a change through contacts.changes (the feed, and later webhooks).
"""
from django.db import transaction
from django.utils import timezone

from organizations.errors import DomainError
from organizations.models import ApiKey, Organization
from organizations.scopes import COALITION_ADMIN
from organizations.services import audit_record

from .batch import UpsertResult, batch_upsert  # noqa: F401  (UpsertResult is part of this module's API)
from .changes import lock_coalition, lock_contact, new_change, record_change, write_changes
from .models import (Contact, ContactAddress, ContactChange, ContactEmail, ContactMerge, ContactPhone,
                     OrganizationContact, PossibleDuplicate, Tag, Tagging)


def resolve(contact: Contact) -> Contact:
    """Follow merges to the surviving contact."""
    seen = set()
    while contact.merged_into_id and contact.pk not in seen:
        seen.add(contact.pk)
        contact = Contact.objects.get(pk=contact.merged_into_id)
    return contact


def contact_upsert(*, organization: Organization, person: dict, source: str = "api", actor=None,
                   contact: Contact | None = None) -> UpsertResult:
    """Match or create the person (validated by contacts.inputs.PersonInput) for `organization`, merge in its
    values, link it to the organization, apply tags and consents. With `contact`, update that contact.
    Raises the DomainError (e.g. Conflict external_id_taken) that refused it."""
    result = batch_upsert(organization=organization, people=[person], source=source, actor=actor,
                          targets=[contact] if contact is not None else None)[0]
    if isinstance(result, DomainError):
        raise result
    return result


def contact_for_write(organization: Organization, contact_id) -> Contact:
    """The live contact behind an id (following merges), if the organization may write it; else 404."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is not None:
        contact = resolve(contact)
    if contact is None or not Contact.objects.writable_by(organization).filter(pk=contact.pk).exists():
        raise DomainError("not_found", "Not found.", status=404)
    return contact


@transaction.atomic
def contact_unlink(*, organization: Organization, contact: Contact, actor=None) -> None:
    """DELETE by an organization: its link and everything private to it go (external id, notes, custom fields,
    its tags on the person, the values only it supplied); the person stays for the others. Consent history stays:
    an opt-out must outlive the link."""
    lock_contact(contact)
    link = OrganizationContact.objects.filter(organization=organization, contact=contact).first()
    if link is None:
        raise DomainError("not_found", "Not found.", status=404)
    link.delete()
    Tagging.objects.filter(contact=contact, tag__organization=organization).delete()
    removed = 0
    for model in (ContactEmail, ContactPhone, ContactAddress):
        for row in model.objects.filter(contact=contact, supplied_by__contains=[organization.pk]):
            row.supplied_by = [o for o in row.supplied_by if o != organization.pk]
            if row.supplied_by:
                row.save(update_fields=["supplied_by"])
            else:
                row.delete()
                removed += 1
    Contact.objects.filter(pk=contact.pk).update(modified_at=timezone.now())
    audit_record(organization=organization, actor=actor, verb="contact.unlinked", obj=contact,
                 details={"removed_values": removed})
    write_changes([new_change(contact, "deleted", organization), new_change(contact, "updated")])


def is_coalition_admin(organization: Organization, actor) -> bool:
    """A key with the coalition:admin scope, or an admin-role staff user of a coalition-admin member."""
    if isinstance(actor, ApiKey):
        return COALITION_ADMIN in actor.scopes and organization.is_coalition_admin
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.is_superuser:
        return True
    return organization.is_coalition_admin and actor.memberships.filter(
        organization=organization, role="admin").exists()


@transaction.atomic
def contact_erase(*, organization: Organization, contact: Contact, actor=None, reason: str = "") -> None:
    """A data-deletion request, coalition-wide: the person, every related row of every app, the contacts merged
    into it, merge records and change rows are deleted; a 'deleted' change and an audit record (ids only) remain."""
    if not is_coalition_admin(organization, actor):
        raise DomainError("permission_denied", "Only a coalition admin may erase a person everywhere.", status=403)
    lock_coalition(contact.coalition_id)
    ids = {contact.pk}
    frontier = {contact.pk}
    while frontier:
        frontier = set(Contact.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    ContactMerge.objects.filter(survivor_id__in=ids).delete()
    ContactMerge.objects.filter(merged_id__in=ids).delete()
    PossibleDuplicate.objects.filter(contact_id__in=ids).delete()
    PossibleDuplicate.objects.filter(other_id__in=ids).delete()
    ContactChange.objects.filter(contact_id__in=ids).delete()
    Contact.objects.filter(pk__in=ids).update(merged_into=None)
    Contact.objects.filter(pk__in=ids).delete()  # cascades to every app's rows that point at the person
    audit_record(organization=organization, actor=actor, verb="contact.erased", object_type="contact",
                 object_id=str(contact.pk), details={"ids": sorted(str(i) for i in ids), "reason": reason[:200]})
    write_changes([new_change(Contact(pk=i, coalition_id=contact.coalition_id), "deleted", None, erased=True)
                   for i in sorted(ids, key=str)])


def tags_change(*, organization: Organization, contact: Contact, add=(), remove=(), actor=None) -> bool:
    """Add tags (through the upsert, which creates the organization's tags on first use) and remove the
    caller's own or coalition-wide tags from one contact."""
    changed = False
    if add:
        changed |= contact_upsert(organization=organization, person={"tags": list(add)}, actor=actor,
                                  contact=contact).outcome != "unchanged"
    if remove:
        with transaction.atomic():
            lock_contact(contact)
            tags = Tag.objects.visible_to(organization).filter(name__in=list(remove))
            deleted, _ = Tagging.objects.filter(contact=contact, tag__in=tags).delete()
            if deleted:
                Contact.objects.filter(pk=contact.pk).update(modified_at=timezone.now())
                record_change(contact, "updated")
                changed = True
    return changed


def tag_touch_contacts(tag: Tag) -> None:
    """A renamed or deleted tag changes how its contacts render: record a change for each."""
    with transaction.atomic():
        lock_coalition(tag.coalition_id)
        contacts = list(Contact.objects.filter(taggings__tag=tag).only("pk", "coalition_id"))
        Contact.objects.filter(pk__in=[c.pk for c in contacts]).update(modified_at=timezone.now())
        write_changes([new_change(c, "updated") for c in contacts])
