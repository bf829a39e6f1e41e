"""The one implementation of a contact write: a set-based batch upsert. `contacts.services.contact_upsert` is a
batch of one; the bulk API, CSV import, forms and sign-ups all end here, so matching, consent, tagging and the
change feed follow the same rules whatever the entry point.

How a batch runs (inside one transaction, under the coalition's write lock, contacts.changes: shared plus locks
on the people's matching keys and contacts for a batch of up to KEYED_BATCH people, else exclusive):
1. lookup: the records' external ids, emails and mobile numbers are looked up in one statement of three indexed
   lookups, and the state of every candidate contact (emails, phones, addresses, the caller's link, taggings,
   consents) is loaded in a handful of `= ANY(ids)` queries;
2. decide: records are applied in order to that in-memory state (so record 7 matches the contact record 2 just
   created, exactly as sequential writes would); a record that conflicts is reported and leaves no trace;
3. write: the accumulated rows are written with one bulk statement per table, and one change row per changed
   contact (contacts.changes.write_changes).
A small batch takes the lock first. A page (DECIDE_BEFORE_LOCK records or more) does 1 and 2 before taking it,
then repeats its reads under the lock: the same rows mean the same decision, so it writes; otherwise it decides
again, under the lock. Concurrent pages of one coalition then hold the lock only for each other's writes.
If a write fails anyway (a constraint the decision step did not foresee), the batch is re-run one record at a time,
each in its own savepoint, so good records are still stored and nothing half-written remains.
"""
import uuid
from dataclasses import dataclass, field

from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from organizations.errors import Conflict, DomainError
from organizations.models import ApiKey, AuditEvent
from organizations.services import actor_label

from .changes import lock_coalition, lock_contacts, lock_keys_statement, new_change, write_changes
from .consent import consent_decide
from .models import (Consent, Contact, ContactAddress, ContactEmail, ContactPhone, OrganizationContact,
                     PossibleDuplicate, Tag, Tagging)
from .normalize import clearly_different_given_names, name_key, similar_names
from .notify import partner_subscribers
from .pgcopy import RowWriter, build, select_rows

CANDIDATES_PER_KEY = 5
#: up to this many people, a batch locks their matching keys and contacts, not the whole coalition
KEYED_BATCH = 20
#: batches of this many records are decided before the coalition lock is taken (see BatchUpsert.run)
DECIDE_BEFORE_LOCK = 50
#: weak-match candidates for (family key, ZIP) pairs: driven by the family-name index, then the contact's
#: addresses (left() keeps the planner off the low-selectivity ZIP index), so the cost follows the number of
#: same-name people, not the size of the table. A few pairs (a form, a signup: up to KEYED_BATCH) probe the index
#: on (coalition, family key) pair by pair through a LATERAL subquery kept apart (OFFSET 0), even when the planner
#: has no statistics yet (a new database: joined freely, it scanned the coalition's every contact per submission
#: until the first ANALYZE); a page's thousand pairs are joined as the planner sees fit (a hash join: probing
#: pair by pair cost a 1,000-record page ~40% more PostgreSQL CPU).
_WEAK_MATCH = """
    SELECT c.id, c.given_name, c.given_key, c.family_key, a.household_key, left(a.postal_code, 5)
    FROM unnest(%s::text[], %s::text[]) AS p(family_key, zip)
    {contacts}
    JOIN contacts_contactaddress a ON a.contact_id = c.id AND left(a.postal_code, 5) = p.zip
    LIMIT 20000"""
WEAK_MATCH_FEW_SQL = _WEAK_MATCH.format(contacts="""CROSS JOIN LATERAL (
        SELECT id, given_name, given_key, family_key FROM contacts_contact
        WHERE family_key = p.family_key AND coalition_id = %s AND merged_into_id IS NULL AND erased_at IS NULL
        OFFSET 0) c""")
WEAK_MATCH_SQL = _WEAK_MATCH.format(contacts="""JOIN contacts_contact c
        ON c.family_key = p.family_key AND c.coalition_id = %s AND c.merged_into_id IS NULL AND c.erased_at IS NULL""")
#: the records' external ids (0), emails (1, upper case) and mobile or unknown phones (2) as stored, in row order:
#: a branch per kind of key the batch holds (a form's write has only an email: planning all three branches cost
#: PostgreSQL twice as much as planning one)
_LOOKUP_BRANCHES = (
    "SELECT 0, external_id, contact_id, id FROM contacts_organizationcontact "
    "WHERE organization_id = %s AND external_id = ANY(%s::text[])",
    "SELECT 1, UPPER(normalized), contact_id, id FROM contacts_contactemail WHERE UPPER(normalized) = ANY(%s::text[])",
    "SELECT 2, number, contact_id, id FROM contacts_contactphone WHERE number = ANY(%s::text[]) AND type <> 'landline'")


def lookup_sql(external_ids: bool, emails: bool, phones: bool) -> str:
    return "\n    UNION ALL\n    ".join(branch for branch, wanted in zip(_LOOKUP_BRANCHES, (external_ids, emails, phones))
                                     if wanted) + "\n    ORDER BY 1, 4"


@dataclass
class UpsertResult:
    contact: Contact
    outcome: str                 # created | updated | unchanged
    rule: str | None = None      # external_id | email | phone when matched
    warnings: list[str] = field(default_factory=list)
    possible_duplicates: list[PossibleDuplicate] = field(default_factory=list)
    #: the caller could not see this person before (it matched a contact private to other members): the API
    #: reports it as created, so a write never reveals what other members hold
    new_to_caller: bool = False


@dataclass
class _State:
    """One contact as the batch sees it: loaded once, then changed in memory."""
    contact: Contact
    emails: dict = field(default_factory=dict)      # UPPER(normalized) -> ContactEmail
    phones: dict = field(default_factory=dict)      # E.164 -> ContactPhone
    addresses: dict = field(default_factory=dict)   # (household key or LINE1, ZIP) -> ContactAddress
    link: OrganizationContact | None = None
    tag_ids: set = field(default_factory=set)
    consents: dict = field(default_factory=dict)    # (channel, scope, org id) -> latest Consent
    created: bool = False
    unshared: bool = False                          # lost its coalition sharing in this batch
    consent_events: list = field(default_factory=list)  # what changed, for consent.changed webhooks
    dirty: bool = False                             # the contact row itself changed


class _Writes:
    def __init__(self):
        self.contacts_new, self.contacts_dirty = [], {}
        self.values_new = {ContactEmail: [], ContactPhone: [], ContactAddress: []}
        self.values_dirty = {ContactEmail: {}, ContactPhone: {}, ContactAddress: {}}
        self.links_new, self.links_dirty = [], {}
        self.tags_new, self.taggings_new, self.consents_new, self.audits = [], [], [], []
        self.duplicates = {}  # (first id, second id) -> (reasons, organization)


def _address_key(address) -> tuple:
    return (address.household_key or address.line1.upper(), address.postal_code)


def _latest(consents: dict, consent: Consent) -> None:
    key = (consent.channel, consent.scope, consent.organization_id)
    current = consents.get(key)
    if current is None or (consent.captured_at, consent.recorded_at) >= (current.captured_at, current.recorded_at):
        consents[key] = consent


class BatchUpsert:
    def __init__(self, organization, source: str, actor):
        self.organization = organization
        self.coalition_id = organization.coalition_id
        self.source = source
        self.actor = actor
        self.now = timezone.now()
        self.locks_ahead = ""  # lock statement to send with the next read (see run)

    # ---- 1. lookup ---------------------------------------------------------------------------------------

    def _match_keys(self, people: list[dict], targets: list) -> list[tuple]:
        """What `_lookup` matches on, as lock keys (see contacts.changes.lock_keys)."""
        return ([("external_id", self.organization.pk, p["external_id"]) for p in people if p.get("external_id")]
                + [("email", e["normalized"].upper()) for p in people for e in p.get("emails", [])]
                + [("phone", ph["number"]) for p in people for ph in p.get("phones", []) if ph["type"] != "landline"]
                + [("tag", self.organization.pk, n.strip()) for p in people for n in p.get("tags", [])]
                + [("contact", t.pk) for t in targets if t is not None])

    def _lookup(self, people: list[dict], targets: list) -> None:
        org = self.organization
        external_ids = {p["external_id"] for p in people if p.get("external_id")}
        emails = {e["normalized"].upper() for p in people for e in p.get("emails", [])}
        phones = {ph["number"] for p in people for ph in p.get("phones", []) if ph["type"] != "landline"}
        self.by_external_id, self.by_email, self.by_phone = {}, {}, {}
        if external_ids or emails or phones:
            params = ([org.pk, list(external_ids)] if external_ids else []) + (
                [list(emails)] if emails else []) + ([list(phones)] if phones else [])
            sql = lookup_sql(bool(external_ids), bool(emails), bool(phones))
            for kind, key, contact_id, _ in self._fetch(sql, params):
                if kind == 0:
                    self.by_external_id[key] = contact_id
                else:
                    (self.by_email if kind == 1 else self.by_phone).setdefault(key, []).append(contact_id)
        ids = set(self.by_external_id.values()) | {t.pk for t in targets if t is not None}
        for found in (*self.by_email.values(), *self.by_phone.values()):
            ids.update(found)
        self.states = {}
        self._load(ids, people)
        tag_names = {n.strip() for p in people for n in p.get("tags", []) if n.strip()}
        self.tags = {}  # name -> Tag usable by the organization (its own first, then coalition-wide)
        if tag_names:
            for tag in select_rows(Tag, "WHERE name = ANY(%s::text[]) AND (organization_id = %s OR (organization_id "
                                   "IS NULL AND coalition_id = %s)) ORDER BY organization_id IS NOT NULL",
                                   [list(tag_names), org.pk, self.coalition_id], self._fetch):
                self.tags[tag.name] = tag

    def _load(self, ids, people: list[dict]) -> None:
        """Load the state of these contacts (following merges to the survivors): what the people's values are
        compared with (a table none of them has values for is not read), their links and consents."""
        self.alias = {}  # merged id -> surviving id
        pending = set(ids)
        while pending:
            contacts = select_rows(Contact, "WHERE id = ANY(%s::uuid[]) AND coalition_id = %s ORDER BY id",
                                   [sorted(pending), self.coalition_id], self._fetch)
            pending = set()
            for contact in contacts:
                if contact.merged_into_id:
                    self.alias[contact.pk] = contact.merged_into_id
                    if contact.merged_into_id not in self.states:
                        pending.add(contact.merged_into_id)
                elif contact.erased_at is None:
                    self.states[contact.pk] = _State(contact)
        if not self.states:
            return
        ids = [list(self.states)]  # the query parameter
        kinds = {kind for p in people for kind in ("emails", "phones", "addresses", "tags") if p.get(kind)}
        by_contact = "WHERE contact_id = ANY(%s::uuid[]) ORDER BY id"
        if "emails" in kinds:
            for email in select_rows(ContactEmail, by_contact, ids, self._fetch):
                self.states[email.contact_id].emails[email.normalized.upper()] = email
        if "phones" in kinds:
            for phone in select_rows(ContactPhone, by_contact, ids, self._fetch):
                self.states[phone.contact_id].phones[phone.number] = phone
        if "addresses" in kinds:
            for address in select_rows(ContactAddress, by_contact, ids, self._fetch):
                self.states[address.contact_id].addresses[_address_key(address)] = address
        for link in select_rows(OrganizationContact, "WHERE contact_id = ANY(%s::uuid[]) AND organization_id = %s "
                                "ORDER BY id", [*ids, self.organization.pk], self._fetch):
            self.states[link.contact_id].link = link
        if "tags" in kinds:
            for contact_id, tag_id in self._fetch("SELECT contact_id, tag_id FROM contacts_tagging "
                                                  "WHERE contact_id = ANY(%s::uuid[]) ORDER BY id", ids):
                self.states[contact_id].tag_ids.add(tag_id)
        for consent in select_rows(Consent, "WHERE contact_id = ANY(%s::uuid[]) ORDER BY captured_at, recorded_at, id",
                                   ids, self._fetch):  # id: the same order each time (run() reads it twice)
            _latest(self.states[consent.contact_id].consents, consent)

    def _state(self, contact_id) -> _State | None:
        seen = set()
        while contact_id in self.alias and contact_id not in seen:
            seen.add(contact_id)
            contact_id = self.alias[contact_id]
        return self.states.get(contact_id)

    # ---- 2. decide ---------------------------------------------------------------------------------------

    def _match(self, person: dict) -> tuple[_State | None, str | None, list]:
        flags = []
        given = person.get("given_name", "")
        if person.get("external_id") and person["external_id"] in self.by_external_id:
            state = self._state(self.by_external_id[person["external_id"]])
            if state is not None:
                return state, "external_id", flags
        for rule, index, values in (("email", self.by_email, [e["normalized"].upper() for e in
                                                                person.get("emails", [])]),
                                    ("phone", self.by_phone, [p["number"] for p in person.get("phones", [])
                                                              if p["type"] != "landline"])):
            for value in values:
                if value not in index:
                    continue
                candidates = list({id(s): s for s in map(self._state, index[value]) if s is not None}.values())
                for state in candidates[:CANDIDATES_PER_KEY]:
                    if clearly_different_given_names(given, state.contact.given_name):
                        flags.append((state, f"shared_{rule}"))
                        continue
                    return state, rule, flags
        return None, None, flags

    def _check(self, state: _State | None, person: dict) -> None:
        """Refuse a record before anything of it is applied."""
        external_id = person.get("external_id")
        if external_id and external_id in self.by_external_id:
            owner = self._state(self.by_external_id[external_id])
            if owner is not None and (state is None or owner is not state):
                raise Conflict("external_id_taken", f"external_id {external_id!r} belongs to another of your "
                               "contacts", field="external_id")

    def _apply(self, person: dict, state: _State | None, explicit: bool, writes: _Writes) -> tuple[_State, bool,
                                                                                                  list]:
        created = state is None
        if created:
            contact = build(Contact, id=uuid.uuid4(), coalition_id=self.coalition_id, created_at=self.now,
                            modified_at=self.now)
            state = _State(contact, created=True)
            self.states[contact.pk] = state
            writes.contacts_new.append(contact)
        contact = state.contact
        overwrite = created or explicit or state.link is not None
        changed = False
        for name in ("given_name", "family_name", "language"):
            value = person.get(name)
            if value and value != getattr(contact, name) and (overwrite or not getattr(contact, name)):
                setattr(contact, name, value)
                changed = True
        if changed:
            contact.given_key, contact.family_key = name_key(contact.given_name), name_key(contact.family_name)
            state.dirty = True
        changed |= self._values(state, person, writes)
        changed |= self._link(state, person, writes)
        changed |= self._tags(state, person, writes)
        warnings = []
        shared_before = contact.coalition_shared
        for item in person.get("consents", []):
            reason = self._consent(state, item, writes)
            if reason and reason != "unchanged":
                warnings.append(f"consents: {item['channel']}/{item.get('scope', 'organization')}: {reason}")
            changed |= not reason
        shared = any(c.status == "opt_in" for key, c in state.consents.items() if key[1] == "coalition")
        if shared != shared_before:
            contact.coalition_shared = shared
            state.unshared = not shared
            state.dirty = True
        if changed:
            contact.modified_at = self.now
            if not created:
                writes.contacts_dirty[contact.pk] = contact
        self._index(state, person)
        return state, changed, warnings

    def _values(self, state: _State, person: dict, writes: _Writes) -> bool:
        """Add the emails, phones and addresses the contact lacks (values are kept, never replaced); remember
        that this organization supplied the ones it already had."""
        org_id = self.organization.pk
        changed = False

        def supplied(row, model):
            if org_id in row.supplied_by:
                return False
            row.supplied_by = [*row.supplied_by, org_id]
            if row.pk is not None:
                writes.values_dirty[model][row.pk] = row
            return True

        contact = state.contact
        for email in person.get("emails", []):
            key = email["normalized"].upper()
            if key in state.emails:
                changed |= supplied(state.emails[key], ContactEmail)
                continue
            row = build(ContactEmail, contact=contact, address=email["address"], normalized=email["normalized"],
                        primary=email["primary"] or not state.emails, supplied_by=[org_id], created_at=self.now)
            state.emails[key] = row
            writes.values_new[ContactEmail].append(row)
            changed = True
        for phone in person.get("phones", []):
            if phone["number"] in state.phones:
                changed |= supplied(state.phones[phone["number"]], ContactPhone)
                continue
            row = build(ContactPhone, contact=contact, raw=phone["raw"], number=phone["number"],
                        type=phone["type"], primary=phone["primary"] or not state.phones, supplied_by=[org_id],
                        created_at=self.now)
            state.phones[phone["number"]] = row
            writes.values_new[ContactPhone].append(row)
            changed = True
        for item in person.get("addresses", []):
            address = item["address"]
            key = _address_key(address)
            if key in state.addresses:
                changed |= supplied(state.addresses[key], ContactAddress)
                continue
            row = build(
                ContactAddress, contact=contact, line1=address.line1, line2=address.line2, city=address.city,
                state=address.state, postal_code=address.postal_code, number=address.number, street=address.street,
                unit=address.unit, household_key=address.household_key, latitude=address.latitude,
                longitude=address.longitude, precision=address.precision, parsed=address.parsed,
                primary=item["primary"] or not state.addresses, supplied_by=[org_id], created_at=self.now)
            state.addresses[key] = row
            writes.values_new[ContactAddress].append(row)
            changed = True
        return changed

    def _link(self, state: _State, person: dict, writes: _Writes) -> bool:
        link = state.link
        changed = False
        if link is None:
            link = build(OrganizationContact, organization=self.organization, contact=state.contact,
                         source=self.source, first_seen_at=self.now, created_at=self.now, modified_at=self.now)
            state.link = link
            writes.links_new.append(link)
            changed = True
        external_id = person.get("external_id")
        known = self.by_external_id.get(external_id) if external_id else None
        if known is not None and known != state.contact.pk and self._state(known) is state:
            external_id = None  # the id of a contact merged into this one: its link keeps it, and it resolves here
        if external_id and link.external_id != external_id:
            if link.external_id:
                self.by_external_id.pop(link.external_id, None)
            link.external_id, changed = external_id, True
            self.by_external_id[external_id] = state.contact.pk
        if "custom_fields" in person and {**link.custom_fields, **person["custom_fields"]} != link.custom_fields:
            link.custom_fields, changed = {**link.custom_fields, **person["custom_fields"]}, True
        if "notes" in person and person["notes"] != link.notes:
            link.notes, changed = person["notes"], True
        if changed and link.pk is not None:
            link.modified_at = self.now
            writes.links_dirty[link.pk] = link
        return changed

    def _tags(self, state: _State, person: dict, writes: _Writes) -> bool:
        """The organization's own tag of that name (created on first use), else a coalition-wide one."""
        changed = False
        for name in dict.fromkeys(n.strip() for n in person.get("tags", []) if n.strip()):
            tag = self.tags.get(name)
            if tag is None:
                tag = build(Tag, id=uuid.uuid4(), coalition_id=self.coalition_id, organization=self.organization,
                            name=name, created_at=self.now)
                self.tags[name] = tag
                writes.tags_new.append(tag)
            if tag.pk not in state.tag_ids:
                state.tag_ids.add(tag.pk)
                writes.taggings_new.append(build(Tagging, tag=tag, contact=state.contact,
                                                 organization=self.organization, created_at=self.now))
                changed = True
        return changed

    def _consent(self, state: _State, item: dict, writes: _Writes) -> str:
        org = self.organization
        scope = item.get("scope", "organization")
        organization = org if scope == "organization" else None
        key = (item["channel"], scope, organization.pk if organization else None)
        current = state.consents.get(key)
        text, source = item.get("text", ""), item.get("source", "api")
        reason = consent_decide(current, item["status"], text, source)
        if reason:
            return reason
        actor = self.actor
        consent = build(
            Consent, id=uuid.uuid4(), contact=state.contact, channel=item["channel"], scope=scope,
            organization=organization, recorded_by=org, status=item["status"], source=source, text=text,
            ip_address=item.get("ip_address"),
            captured_at=item.get("captured_at") or self.now, recorded_at=self.now,
            actor_key=actor if isinstance(actor, ApiKey) else None,
            actor_user=actor if actor is not None and not isinstance(actor, ApiKey) else None)
        _latest(state.consents, consent)
        writes.consents_new.append(consent)
        state.consent_events.append({"channel": item["channel"], "scope": scope, "status": item["status"],
                                     "source": source, "organization": str(org.pk)})
        writes.audits.append(build(
            AuditEvent, organization=org, actor_user=consent.actor_user, actor_key=consent.actor_key,
            actor_label=actor_label(actor), verb="consent.changed", object_type="contact",
            object_id=str(state.contact.pk), created_at=self.now,
            details={"channel": item["channel"], "scope": scope, "status": item["status"], "source": source,
                     "previous": current.status if current else None}))
        return ""

    def _index(self, state: _State, person: dict) -> None:
        """Later records of the batch find this contact by its emails and phones."""
        for email in person.get("emails", []):
            found = self.by_email.setdefault(email["normalized"].upper(), [])
            if state.contact.pk not in found:
                found.append(state.contact.pk)
        for phone in person.get("phones", []):
            if phone["type"] != "landline":
                found = self.by_phone.setdefault(phone["number"], [])
                if state.contact.pk not in found:
                    found.append(state.contact.pk)

    def _weak_matches(self, created: list[_State]) -> dict:
        """Same family name, given name spelled alike, at the same household or ZIP: {contact id: [(other,
        reasons)]}. One query for the whole batch, on (family key, ZIP) and (family key, household) pairs."""
        pairs = {}
        for state in created:
            if not state.contact.family_key:
                continue
            for address in state.addresses.values():
                if address.postal_code:
                    pairs[(state.contact.family_key, address.postal_code[:5])] = True
        if not pairs:
            return {}
        keys, zips = zip(*pairs)
        rows = self._fetch(WEAK_MATCH_FEW_SQL if len(keys) <= KEYED_BATCH else WEAK_MATCH_SQL,
                           [list(keys), list(zips), self.coalition_id])
        by_pair = {}
        for contact_id, given, given_key, family_key, household, zip5 in rows:
            by_pair.setdefault((family_key, zip5), []).append((contact_id, given, given_key, household))
        created_ids = {s.contact.pk for s in created}
        earlier = {}  # (family key, ZIP) -> rows of contacts created earlier in this batch
        found = {}
        for state in created:
            contact = state.contact
            households = {a.household_key for a in state.addresses.values() if a.household_key}
            candidates = {}
            pairs_here = {(contact.family_key, a.postal_code[:5]) for a in state.addresses.values()
                          if a.postal_code and contact.family_key}
            for pair in pairs_here:
                for row in by_pair.get(pair, []):
                    if row[0] != contact.pk and row[0] not in created_ids:
                        candidates.setdefault(row[0], []).append(row)
                for row in earlier.get(pair, []):
                    candidates.setdefault(row[0], []).append(row)
            for address in state.addresses.values():
                pair = (contact.family_key, address.postal_code[:5])
                if pair in pairs_here:
                    earlier.setdefault(pair, []).append((contact.pk, contact.given_name, contact.given_key,
                                                         address.household_key))
            for other_id, rows in candidates.items():
                if not similar_names(contact.given_name, rows[0][1]):
                    continue
                reasons = ["same_name" if contact.given_key == rows[0][2] else "similar_name",
                           "same_address" if households & {r[3] for r in rows} else "same_zip"]
                found.setdefault(contact.pk, []).append((other_id, reasons))
        return found

    # ---- 3. write ----------------------------------------------------------------------------------------

    def _write(self, writes: _Writes, changes: list) -> None:
        """One COPY per table of a page; a small batch's rows and updates go in one round trip (RowWriter)."""
        writer = RowWriter()
        writer.insert(Tag, writes.tags_new)
        writer.insert(Contact, writes.contacts_new)
        for contact in writes.contacts_new:  # saved: a caller's later save() must UPDATE, not INSERT
            contact._state.adding, contact._state.db = False, "default"
        writer.update(Contact, list(writes.contacts_dirty.values()),
                      ["given_name", "family_name", "language", "given_key", "family_key", "coalition_shared",
                       "modified_at"])
        for model, rows in writes.values_new.items():
            writer.insert(model, rows)
        for model, rows in writes.values_dirty.items():
            writer.update(model, list(rows.values()), ["supplied_by"])
        writer.insert(OrganizationContact, writes.links_new)
        writer.update(OrganizationContact, list(writes.links_dirty.values()),
                      ["external_id", "custom_fields", "notes", "modified_at"])
        writer.insert(Tagging, writes.taggings_new)
        writer.insert(Consent, writes.consents_new)
        writer.insert(AuditEvent, writes.audits)
        if writes.duplicates:
            self._write_duplicates(writes.duplicates, writer)
        write_changes(changes, self.subscribers, writer)

    def _write_duplicates(self, duplicates: dict, writer: RowWriter) -> None:
        existing = {}
        created = {pk for pk, state in self.states.items() if state.created}
        # a pair with a contact this batch creates cannot be recorded yet (the usual case: a new signer like another)
        firsts = {a for a, b in duplicates if a not in created and b not in created}
        if firsts:
            for row in PossibleDuplicate.objects.filter(contact_id__in=firsts):
                existing[(row.contact_id, row.other_id)] = row
        new, dirty = [], []
        for (first, second), (reasons, duplicate) in duplicates.items():
            row = existing.get((first, second))
            if row is None:
                new.append(duplicate)
            elif set(reasons) - set(row.reasons):
                row.reasons = sorted(set(row.reasons) | set(reasons))
                dirty.append(row)
                duplicate.pk = row.pk
            else:
                duplicate.pk = row.pk
        writer.insert(PossibleDuplicate, new)
        writer.update(PossibleDuplicate, dirty, ["reasons"])

    # ---- the whole batch ---------------------------------------------------------------------------------

    def run(self, people: list[dict], targets: list | None = None) -> list:
        """One UpsertResult or DomainError per person, in order."""
        targets = targets or [None] * len(people)
        # read before the coalition lock, which every contact write of the coalition waits for
        self.subscribers = partner_subscribers([self.coalition_id])
        if len(people) <= KEYED_BATCH:  # a form, a signup, an API create: only writes about the same people wait
            with connection.cursor() as cursor:  # sent with the first read (the targets' contacts among the keys)
                self.locks_ahead = lock_keys_statement(cursor, self.coalition_id, self._match_keys(people, targets))
            results, writes, touched = self._decide(people, targets)
            if self.locks_ahead:  # nothing was read: taken now, before any write
                with connection.cursor() as cursor:
                    cursor.execute(self.locks_ahead)
                self.locks_ahead = ""
            # a contact found by one key may be written by a request that came by another: lock the contacts
            # found (not those created here, which nobody else can see yet), and decide again whenever one was
            # held (each round locks more; done when none was held)
            locked = {target.pk for target in targets if target is not None}
            while not lock_contacts(self.coalition_id, [pk for pk, state in self.states.items()
                                                        if not state.created and pk not in locked]):
                results, writes, touched = self._decide(people, targets)
        elif len(people) < DECIDE_BEFORE_LOCK:
            lock_coalition(self.coalition_id)
            results, writes, touched = self._decide(people, targets)
        else:
            # A page is decided before the lock, so concurrent pages of the coalition wait only for each other's
            # writes; under the lock, the reads it was decided on are made again: the same rows, the same
            # decision. Anything changed meanwhile: decided again, under the lock.
            results, writes, touched = self._decide(people, targets)
            lock_coalition(self.coalition_id)
            if any(self._fetch(sql, params, record=False) != rows for sql, params, rows in self.reads):
                results, writes, touched = self._decide(people, targets)
        changes = [new_change(state.contact, "created" if state.created else "updated",
                              **({"unshared": True} if state.unshared else {}),
                              **({"consents": state.consent_events} if state.consent_events else {}))
                   for state, changed in touched.values() if state.created or changed]
        self._write(writes, changes)
        return results

    def _decide(self, people: list[dict], targets: list) -> tuple[list, _Writes, dict]:
        """(results, the writes, {contact id: (state, changed)}) of the people, from what the database holds now
        (every read is kept in self.reads)."""
        self.reads = []
        self._lookup(people, targets)
        writes = _Writes()
        results = []
        touched = {}  # contact id -> (state, changed)
        flags_by_index = {}
        for index, (person, target) in enumerate(zip(people, targets)):
            try:
                if target is not None:
                    state = self._state(target.pk)
                    if state is None:
                        raise DomainError("not_found", "Not found.", status=404)
                    rule, flags = None, []
                else:
                    state, rule, flags = self._match(person)
                self._check(state, person)
            except DomainError as exc:
                results.append(exc)
                continue
            was_new = state is None
            hidden = not was_new and state.link is None and not state.contact.coalition_shared
            state, changed, warnings = self._apply(person, state, target is not None, writes)
            results.append(UpsertResult(state.contact, "created" if was_new else ("updated" if changed else
                                                                                 "unchanged"), rule, warnings,
                                        new_to_caller=was_new or hidden))
            touched[state.contact.pk] = (state, touched.get(state.contact.pk, (None, False))[1] or changed)
            flags_by_index[index] = flags
        created = [s for s in self.states.values() if s.created]
        weak = self._weak_matches(created)
        for index, result in enumerate(results):
            if isinstance(result, DomainError):
                continue
            pairs = [(other.contact.pk, [reason]) for other, reason in flags_by_index.get(index, [])]
            if result.outcome == "created":
                pairs += weak.get(result.contact.pk, [])
            for other_id, reasons in pairs:
                first, second = sorted([result.contact.pk, other_id], key=str)
                known = writes.duplicates.get((first, second))
                if known:
                    known[0][:] = sorted(set(known[0]) | set(reasons))
                    result.possible_duplicates.append(known[1])
                    continue
                duplicate = build(PossibleDuplicate, id=uuid.uuid4(), contact_id=first, other_id=second,
                                  reasons=list(reasons), organization=self.organization, created_at=self.now)
                writes.duplicates[(first, second)] = (duplicate.reasons, duplicate)
                result.possible_duplicates.append(duplicate)
        return results, writes, touched

    def _fetch(self, sql: str, params, record: bool = True) -> list:
        """The rows of a read the decision depends on, kept (with its statement) to be made again under the lock."""
        with connection.cursor() as cursor:
            if self.locks_ahead:  # the locks first, in the same round trip
                statements, self.locks_ahead = f"{self.locks_ahead};\n{cursor.mogrify(sql, params).decode()}", ""
                cursor.execute(statements)
            else:
                cursor.execute(sql, params)
            rows = cursor.fetchall()
        if record:
            self.reads.append((sql, params, rows))
        return rows


def batch_upsert(*, organization, people: list[dict], source: str = "api", actor=None,
                 targets: list | None = None) -> list:
    """Upsert many people (each validated by contacts.inputs.PersonInput) for `organization`.
    Returns, per person, an UpsertResult or the DomainError that refused it (nothing of it was written)."""
    if not people:
        return []
    try:
        with transaction.atomic():
            return BatchUpsert(organization, source, actor).run(people, targets)
    except (IntegrityError, DataError):
        pass
    results = []  # something the decision step could not foresee: one record at a time, each all or nothing
    for index, person in enumerate(people):
        try:
            with transaction.atomic():
                results.append(BatchUpsert(organization, source, actor).run(
                    [person], [targets[index]] if targets else None)[0])
        except (IntegrityError, DataError) as exc:
            message = str(exc).splitlines()[0][:200]
            results.append(Conflict("not_stored", f"the database refused this record: {message}"))
    return results

