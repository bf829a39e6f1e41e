"""Reads for turf and call lists: the segment (always inside Contact.objects.visible_to), and what of each
person the caller may use — the rules of contacts.sharing applied in bulk:

- a street address (and its coordinates) only when the caller holds the person and supplied that address
  itself; another member's shared contact shows only city/state/ZIP, so it cannot be put on a walk sheet and
  is reported as unplaced ("street address not shared with your organization");
- a phone when the caller holds the person and supplied it, or when the person opted in to sharing sms or call
  with the coalition;
- consent per channel: an opt-out at the organization or coalition scope wins over any opt-in.
"""
import uuid

from django.db.models import BooleanField, CharField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import Cast, Left

from contacts.api import ContactFilter
from contacts.models import Consent, Contact, ContactAddress, ContactPhone, OrganizationContact, Tag, Tagging
from events.models import Event, SignupStatus
from events.sharing import full_signups
from organizations.errors import DomainError
from testimony import workflow
from testimony.models import Hearing, Testimony

from .addresses import normalise_street, normalise_unit, normalise_zip, parse_number
from .cutting import Place
from .models import CanvassResult, TurfStop

SEGMENT_FILTERS = {"tags", "towns", "zips", "contacts", "consent", "event", "hearing"}
CONSENT_CHANNELS = {"email", "sms", "call", "mail"}


def _strings(segment, key) -> list[str]:
    value = segment.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DomainError("invalid_segment", f"{key} must be a list of non-empty strings", field=f"segment.{key}")
    return [v.strip() for v in value]


def segment_contacts(organization, segment: dict):
    """The contacts of a segment, as a queryset inside what `organization` may see. Raises a 400 for unknown
    filters, unknown tags, or contact ids the organization cannot see."""
    if not isinstance(segment, dict):
        raise DomainError("invalid_segment", "segment must be an object of filters", field="segment")
    unknown = set(segment) - SEGMENT_FILTERS
    if unknown:
        raise DomainError("invalid_segment", f"unknown filter {sorted(unknown)[0]!r}; use one of "
                          f"{', '.join(sorted(SEGMENT_FILTERS))}", field=f"segment.{sorted(unknown)[0]}")
    contacts = Contact.objects.visible_to(organization)
    # Exists() filters, no joins: one row per contact without DISTINCT, and plans that stay sane at 100,000s
    if "tags" in segment:
        names = _strings(segment, "tags")
        tags = list(Tag.objects.visible_to(organization).filter(name__in=names))
        missing = sorted(set(names) - {t.name for t in tags})
        if missing:
            raise DomainError("unknown_tag", f"no tag named {missing[0]!r}", field="segment.tags")
        contacts = contacts.filter(Exists(Tagging.objects.filter(contact=OuterRef("pk"), tag__in=tags)))
    if "towns" in segment:
        town_q = Q()
        for town in _strings(segment, "towns"):
            town_q |= Q(city__iexact=town)
        contacts = contacts.filter(Exists(ContactAddress.objects.filter(town_q, contact=OuterRef("pk"))))
    if "zips" in segment:
        zips = [normalise_zip(code) for code in _strings(segment, "zips")]
        if not all(zips):
            raise DomainError("invalid_segment", "zips must be 5-digit ZIP codes", field="segment.zips")
        # Left(..., 5) rather than a prefix match: per contact, never a scan of the ZIP index (bad plans on
        # freshly loaded tables made that quadratic)
        contacts = contacts.filter(Exists(ContactAddress.objects.annotate(zip5=Left("postal_code", 5)).filter(
            zip5__in=zips, contact=OuterRef("pk"))))
    if "contacts" in segment:
        ids = _strings(segment, "contacts")
        try:
            visible = set(str(pk) for pk in Contact.objects.visible_to(organization).filter(pk__in=ids)
                          .values_list("pk", flat=True))
        except Exception:  # malformed uuid
            raise DomainError("invalid_segment", "contacts must be contact ids", field="segment.contacts")
        if len(visible) != len(set(ids)):
            raise DomainError("contacts_not_visible", "the segment names contacts your organization cannot see",
                              field="segment.contacts", status=400)
        contacts = contacts.filter(pk__in=ids)
    if "consent" in segment:  # the contacts API's own rule: channel[:opt_in|opt_out], current state
        value = segment["consent"]
        channel, _, wanted = value.partition(":") if isinstance(value, str) else ("", "", "")
        if channel not in CONSENT_CHANNELS or (wanted or "opt_in") not in ("opt_in", "opt_out"):
            raise DomainError("invalid_segment", "consent must be channel[:opt_in|opt_out], channel one of "
                              f"{', '.join(sorted(CONSENT_CHANNELS))}", field="segment.consent")
        contacts = _SegmentFilter.for_organization(organization).filter_consent(contacts, "consent", value)
    if "event" in segment:
        contacts = contacts.filter(Exists(_event_signups(organization, segment["event"])
                                          .filter(contact=OuterRef("pk"))))
    if "hearing" in segment:
        contacts = contacts.filter(Exists(_hearing_testimonies(organization, segment["hearing"])
                                          .filter(contact=OuterRef("pk"))))
    return contacts


def _participation(value, key: str, statuses: set) -> tuple[str, list[str]]:
    """`"<id>"` or `{"id": "<id>", "statuses": [...]}` -> (id, statuses or [])."""
    field = f"segment.{key}"
    if isinstance(value, str):
        value = {"id": value}
    if not isinstance(value, dict) or set(value) - {"id", "statuses"} or not isinstance(value.get("id"), str):
        raise DomainError("invalid_segment", f"{key} must be an id or {{\"id\", \"statuses\"}}", field=field)
    try:
        uuid.UUID(value["id"])
    except ValueError:
        raise DomainError("invalid_segment", f"{key} must be a {key} id", field=field) from None
    wanted = _strings(value, "statuses") if "statuses" in value else []
    if "statuses" in value and not wanted:
        raise DomainError("invalid_segment", "statuses must not be empty", field=f"{field}.statuses")
    bad = sorted(set(wanted) - statuses)
    if bad:
        raise DomainError("invalid_segment", f"unknown status {bad[0]!r}; use one of {', '.join(sorted(statuses))}",
                          field=f"{field}.statuses")
    return value["id"], wanted


def _event_signups(organization, value):
    """Signups of an event the caller can see, and of those only the ones events.sharing lets it see in full:
    a co-host with `totals` (or `recruited`) sharing, or a member who only sees the event, segments only the
    people it recruited itself."""
    event_id, statuses = _participation(value, "event", set(SignupStatus.values))
    event = Event.objects.visible_to(organization).filter(pk=event_id).first()
    if event is None:
        raise DomainError("unknown_event", "no such event your organization can see", field="segment.event")
    signups = full_signups(event, organization)
    return signups.filter(status__in=statuses) if statuses else signups


def _hearing_testimonies(organization, value):
    """Testimonies of a hearing the caller can see, and of those only its own witnesses
    (TestimonyQuerySet.visible_to: the recruiting organization sees a witness in full, others counts only)."""
    hearing_id, statuses = _participation(value, "hearing", set(workflow.STATUSES))
    hearing = Hearing.objects.visible_to(organization).filter(pk=hearing_id).first()
    if hearing is None:
        raise DomainError("unknown_hearing", "no such hearing your organization can see", field="segment.hearing")
    testimonies = Testimony.objects.visible_to(organization).filter(hearing=hearing)
    return testimonies.filter(status__in=statuses) if statuses else testimonies


class _SegmentFilter(ContactFilter):
    """The contacts API's filters, for an organization instead of a request."""

    @classmethod
    def for_organization(cls, organization):
        instance = cls(data={}, queryset=Contact.objects.none())
        instance._organization = organization
        return instance

    @property
    def organization(self):
        return self._organization


def consent_states(contact_ids, organization, channel: str) -> dict:
    """{contact id: "opt_in" | "opt_out"} for the channel as it applies to `organization` (absent: unknown).
    `contact_ids` is a list or a queryset of ids (a subquery)."""
    latest = {}
    rows = (Consent.objects.filter(contact_id__in=contact_ids, channel=channel)
            .filter(Q(scope="coalition") | Q(scope="organization", organization=organization))
            .order_by("captured_at", "recorded_at").values_list("contact_id", "scope", "status"))
    for contact_id, scope, status in rows:
        latest[(contact_id, scope)] = status
    states = {}
    for (contact_id, _scope), status in latest.items():
        if status == "opt_out" or contact_id not in states:
            states[contact_id] = status
    return states


def door_key(number: str, street: str, unit: str, postal_code: str) -> str:
    """The same door as the cut sees it (turfs.cutting households), as a string."""
    parsed = parse_number(number)
    if parsed is None or not normalise_street(street):
        return ""
    return f"{parsed[0]}{parsed[1]}|{normalise_street(street)}|{normalise_unit(unit)}|{normalise_zip(postal_code)}"


def places_for_cut(organization, contacts, exclude_do_not_contact: bool = True):
    """(places, unplaced, excluded): the people of the segment with the address the caller may use.
    Excluded: people who refused at the door, people whose address was reported moved or wrong (that address
    only), and with `exclude_do_not_contact` people opted out of mail (the in-person channel) for the caller.
    One pass over the segment's addresses (ids as text, tuples): this is most of the job's reading time."""
    in_segment = contacts.values("pk")  # a subquery: no list of ids sent back to PostgreSQL
    held = OrganizationContact.objects.filter(organization=organization, contact_id=OuterRef("pk"))
    usable = ExpressionWrapper(Q(addresses__supplied_by__contains=[organization.pk]) & Exists(held),
                               output_field=BooleanField())
    # one pass: every contact of the segment with its addresses (LEFT JOIN: none gives one row of NULLs)
    rows = (contacts.annotate(ref=Cast("pk", CharField()), usable=usable)
            .order_by("pk", F("usable").desc(nulls_last=True), F("addresses__primary").desc(nulls_last=True),
                      "addresses__id")
            .values_list("ref", "usable", "addresses__id", "addresses__line1", "addresses__line2",
                         "addresses__postal_code", "addresses__number", "addresses__street", "addresses__unit",
                         "addresses__latitude", "addresses__longitude", "addresses__precision"))
    refused, moved = set(), set()
    for contact_id, code, key in (CanvassResult.objects.filter(
            organization=organization, code__in=["refused", "moved", "wrong_address"])
            .values_list("contact_id", "code", "household_key")):
        if code == "refused":
            refused.add(str(contact_id))
        else:
            moved.add((str(contact_id), key))
    if exclude_do_not_contact:
        refused |= {str(pk) for pk, state in consent_states(in_segment, organization, "mail").items()
                    if state == "opt_out"}
    places, unplaced, excluded = [], [], []
    previous = None
    for (ref, ok, address_id, line1, line2, postal_code, number, street, unit, lat, lon,
         precision) in rows.iterator(chunk_size=10000):
        if ref == previous:
            continue  # the first row of a contact is its best address: usable, then primary
        previous = ref
        if ref in refused:
            excluded.append({"contact": ref, "reason": "refused at the door or opted out"})
        elif address_id is None:
            unplaced.append({"contact": ref, "reason": "no address", "address": ""})
        elif not ok:
            unplaced.append({"contact": ref, "reason": "street address not shared with your organization",
                             "address": postal_code})
        elif moved and (ref, door_key(number, street, unit, postal_code)) in moved:
            excluded.append({"contact": ref, "reason": "moved or wrong address reported at this address"})
        else:
            places.append(Place(ref=ref, number=number, street=street, unit=unit, zip=postal_code, lat=lat,
                                lon=lon, precision=precision, line=f"{line1} {line2}".strip()))
    unplaced.sort(key=lambda u: u["contact"])
    excluded.sort(key=lambda u: u["contact"])
    return places, unplaced, excluded


def callable_people(organization, contacts) -> list[dict]:
    """People of the segment with a phone the caller may see and a call opt-in, sorted for callers (by ZIP, so a
    caller's list is local, then family and given name)."""
    ids = list(contacts.values_list("pk", flat=True))
    states = consent_states(ids, organization, "call")
    ids = [pk for pk in ids if states.get(pk) == "opt_in"]
    held = set(OrganizationContact.objects.filter(organization=organization, contact_id__in=ids)
               .values_list("contact_id", flat=True))
    shared_phone = set()
    for contact_id, channel, status in (Consent.objects.filter(contact_id__in=ids, scope="coalition",
                                                               channel__in=["sms", "call"])
                                        .order_by("captured_at", "recorded_at")
                                        .values_list("contact_id", "channel", "status")):
        (shared_phone.add if status == "opt_in" else shared_phone.discard)((contact_id, channel))
    shared = {pk for pk, _channel in shared_phone}
    phones = {}
    for contact_id, number, supplied_by in (ContactPhone.objects.filter(contact_id__in=ids)
                                            .order_by("contact_id", "-primary", "id")
                                            .values_list("contact_id", "number", "supplied_by")):
        visible = (contact_id in held and organization.pk in supplied_by) or contact_id in shared
        if visible and contact_id not in phones:
            phones[contact_id] = number
    zips = dict(ContactAddress.objects.filter(contact_id__in=list(phones)).order_by("contact_id", "primary", "-id")
                .values_list("contact_id", "postal_code"))
    people = []
    for contact in Contact.objects.filter(pk__in=list(phones)).only("given_name", "family_name"):
        people.append({"contact": str(contact.pk), "name": str(contact), "given_name": contact.given_name,
                       "family_name": contact.family_name, "phone": phones[contact.pk],
                       "postal_code": (zips.get(contact.pk) or "")[:5]})
    people.sort(key=lambda p: (p["postal_code"], p["family_name"].casefold(), p["given_name"].casefold(),
                               p["contact"]))
    return people


def stop_people(stops) -> dict:
    """{contact id: "Given Family"} for the people at the given stops."""
    ids = {pk for stop in stops for pk in stop.contacts}
    return {c.pk: str(c) for c in Contact.objects.filter(pk__in=ids).only("given_name", "family_name")}


def stops_of(turf):
    return TurfStop.objects.filter(turf=turf).order_by("position")
