"""The one place that decides what an organization sees of a contact (DESIGN.md section 4).

- A holder (an organization with a link) sees the names, the details it supplied itself, its own external id,
  tags, notes, custom fields and organization-scope consents.
- Anyone who may see the contact (holders included) additionally sees what the person agreed to share with the
  coalition: emails if there is a current coalition-scope email opt-in, phones if sms or call, and a
  district-level address (city, state, ZIP; no street, no coordinates).
- Another organization's external ids, tags, notes, custom fields and organization-scope consents are never
  shown. Every contact response, the change feed and exports (later webhooks) render through `render_contacts`
  -> `contact_view`.

Rendering is set-based: one SQL statement reads a page of contacts with their emails, phones, addresses, links,
consents and tags as plain column arrays (no model instances, no JSON built by PostgreSQL), so a page of 1,000
contacts is one round trip and one snapshot.
"""
import gc
import json
import threading
from contextlib import contextmanager

from django.db import connection

from organizations.rawsql import Prepared

from .consent import latest_consents

# part: (table, key column, the columns read, order within a contact). Every column of a part is one array_agg over
# the same rows (PostgreSQL sorts a part's rows once for aggregates sharing an ORDER BY), so the arrays line up.
# uuids and timestamps come as text (no uuid.UUID / datetime objects), timestamps in the API's form as DRF renders
# datetimes ('2024-05-01T12:00:00.5Z', from the ISO DateStyle text that psycopg2 itself needs); supplied_by as
# "uuid,uuid".
_TIMESTAMP = "replace((%s AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z'"
_SUPPLIED_BY = "array_to_string(supplied_by, ',')"
_PARTS = {
    "contacts": ("contacts_contact", "id",
                 ["id::text", "given_name", "family_name", "language", "coalition_shared", _TIMESTAMP % "created_at",
                  _TIMESTAMP % "modified_at", "merged_into_id::text"], None),
    "emails": ("contacts_contactemail", "contact_id",
               ["contact_id::text", "address", '"primary"', _SUPPLIED_BY], '"primary" DESC, id'),
    "phones": ("contacts_contactphone", "contact_id",
               ["contact_id::text", "number", "type", '"primary"', _SUPPLIED_BY], '"primary" DESC, id'),
    "addresses": ("contacts_contactaddress", "contact_id",
                  ["contact_id::text", "line1", "line2", "city", "state", "postal_code", "latitude", "longitude",
                   "precision", '"primary"', _SUPPLIED_BY], '"primary" DESC, id'),
    "links": ("contacts_organizationcontact", "contact_id",
              ["contact_id::text", "organization_id::text", "external_id", "notes", "custom_fields::text"], None),
    "consents": ("contacts_consent", "contact_id",
                 ["contact_id::text", "id::text", "channel", "scope", "organization_id::text", "status", "source",
                  "text", _TIMESTAMP % "captured_at", _TIMESTAMP % "recorded_at"], None),
    "tags": ("contacts_tagging g JOIN contacts_tag t ON t.id = g.tag_id", "g.contact_id",
             ["g.contact_id::text", "t.name", "t.organization_id::text"], None),
}


def _part_sql(name, table, key, columns, order) -> str:
    order_by = f" ORDER BY {order}" if order else ""
    arrays = ", ".join(f"array_agg({column}{order_by})" for column in columns)
    return f"CROSS JOIN LATERAL (SELECT {arrays} FROM {table} WHERE {key} = ANY(page.ids)) AS {name}"


# The ids go in once, as one string, behind a MATERIALIZED CTE: the planner does not estimate 1,000 constants
# per part, and every part reads the same snapshot. Prepared (planned once per connection; planning it cost
# PostgreSQL ~1 ms a page): its plan never depended on the ids anyway.
_PAGE_SQL = Prepared("contact_page", "WITH page AS MATERIALIZED (SELECT string_to_array(%(ids)s, ',')::uuid[] AS ids) "
                     "SELECT " + ", ".join(f"{name}.*" for name in _PARTS) + " FROM page "
                     + " ".join(_part_sql(name, *part) for name, part in _PARTS.items()))


def load_contacts(ids) -> dict:
    """{id: contact} for these contacts, keyed by the ids as given (UUIDs, or their canonical strings). A contact
    is a dict of its own columns; its emails, phones, addresses, links and tags are its rows of those parts as
    read, tuples in the column order of _PARTS (the contact id first), so rendering builds only the dicts it
    returns; consents are dicts (contacts.consent.latest_consents reads them)."""
    wanted = {str(i): i for i in ids}
    if not wanted:
        return {}
    with connection.cursor() as cursor:  # sorted: PostgreSQL sorts each part's array of keys (~15% less work)
        _PAGE_SQL.execute(cursor, {"ids": ",".join(sorted(wanted))})
        row = cursor.fetchone()
    parts, start = {}, 0
    for name, (_, _, columns, _) in _PARTS.items():  # zip each part's column arrays back into rows
        parts[name] = zip(*row[start:start + len(columns)]) if row[start] is not None else ()  # NULL: no rows
        start += len(columns)
    found = {}
    for pk, given_name, family_name, language, shared, created_at, modified_at, merged_into in parts["contacts"]:
        found[pk] = {"id": pk, "given_name": given_name, "family_name": family_name, "language": language,
                     "coalition_shared": shared, "created_at": created_at, "modified_at": modified_at,
                     "merged_into_id": merged_into,
                     "emails": [], "phones": [], "addresses": [], "links": [], "consents": [], "tags": []}
    for name in ("emails", "phones", "addresses", "links", "tags"):
        for part_row in parts[name]:
            found[part_row[0]][name].append(part_row)
    for pk, consent_id, channel, scope, organization_id, status, source, text, captured_at, recorded_at in \
            parts["consents"]:
        found[pk]["consents"].append({"id": consent_id, "channel": channel, "scope": scope,
                                      "organization_id": organization_id, "status": status, "source": source,
                                      "text": text, "captured_at": captured_at, "recorded_at": recorded_at})
    return {wanted[pk]: contact for pk, contact in found.items()}


_gc_lock = threading.Lock()
_gc_pause = {"depth": 0, "was_enabled": False}  # shared by the threads of a gthread worker


@contextmanager
def gc_paused():
    """Build many small acyclic objects (a page of 1,000 contacts) without the cyclic collector: it otherwise runs
    full collections over the whole process while the page is parsed, a third of a feed page's CPU. Whatever
    garbage the block leaves is collected on the collector's next run, as before. Nested or concurrent pauses
    (threads) re-enable the collector when the last one ends, and only if it was on before the first."""
    with _gc_lock:
        if _gc_pause["depth"] == 0:
            _gc_pause["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_pause["depth"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pause["depth"] -= 1
            if _gc_pause["depth"] == 0 and _gc_pause["was_enabled"]:
                gc.enable()


def render_contacts(organization, ids) -> dict:
    """{id: contact_view} for the contacts with these ids (the caller checked the organization may see them)."""
    org_id = str(organization.pk)
    with gc_paused():
        return {pk: contact_view(contact, org_id) for pk, contact in load_contacts(ids).items()}


def _shared_channels(consents) -> set[str]:
    return {channel for (channel, scope, _), c in consents.items() if scope == "coalition" and c["status"] == "opt_in"}


def _consent_view(consent) -> dict:
    return {"channel": consent["channel"], "scope": consent["scope"], "status": consent["status"],
            "source": consent["source"], "text": consent["text"], "captured_at": consent["captured_at"]}


def _consent_visible(consent, org_id: str, held: bool) -> bool:
    return consent["scope"] == "coalition" or (held and consent["organization_id"] == org_id)


def consents_view(contact_id, organization) -> dict:
    """The consent history and current state an organization may see (coalition scope, and its own)."""
    contact = load_contacts([contact_id])[contact_id]
    org_id = str(organization.pk)
    held = any(organization_id == org_id for _, organization_id, *_ in contact["links"])
    history = sorted((c for c in contact["consents"] if _consent_visible(c, org_id, held)),
                     key=lambda c: (c["captured_at"], c["recorded_at"]))
    current = [c for c in latest_consents(contact["consents"], dict.get).values()
               if _consent_visible(c, org_id, held)]
    return {"current": [_consent_view(c) for c in sorted(current, key=lambda c: (c["channel"], c["scope"]))],
            "history": [{**_consent_view(c), "id": c["id"], "recorded_at": c["recorded_at"]} for c in history]}


def _custom_fields(value: str) -> dict:
    return {} if value == "{}" else json.loads(value)  # the standard parser: any JSON number as before


def contact_view(contact: dict, org_id: str) -> dict:
    """The contact shape of the API for the organization with id `org_id` (which must be allowed to see it)."""
    link = None
    for candidate in contact["links"]:
        if candidate[1] == org_id:
            link = candidate
            break
    held = link is not None
    consents = latest_consents(contact["consents"], dict.get) if contact["consents"] else {}
    shared = _shared_channels(consents) if contact["coalition_shared"] else ()
    all_emails, all_phones = "email" in shared, "sms" in shared or "call" in shared
    # supplied_by: the supplying organizations' ids, comma-separated. A uuid's text has no comma, so org_id (a
    # whole uuid's text) is a substring of it only as one of those ids: no list to split a row
    emails = [{"address": address, "primary": primary} for _, address, primary, supplied_by in contact["emails"]
              if all_emails or (held and org_id in supplied_by)]
    phones = [{"number": number, "type": type_, "primary": primary}
              for _, number, type_, primary, supplied_by in contact["phones"]
              if all_phones or (held and org_id in supplied_by)]
    addresses = []
    for _, line1, line2, city, state, postal_code, latitude, longitude, precision, primary, supplied_by in \
            contact["addresses"]:
        if held and org_id in supplied_by:
            addresses.append({"line1": line1, "line2": line2, "city": city, "state": state,
                              "postal_code": postal_code, "latitude": latitude, "longitude": longitude,
                              "precision": precision, "primary": primary})
        elif contact["coalition_shared"]:
            addresses.append({"line1": "", "line2": "", "city": city, "state": state, "postal_code": postal_code,
                              "latitude": None, "longitude": None, "precision": "none", "primary": primary})
    visible_consents = [_consent_view(c) for c in sorted(consents.values(), key=lambda c: (c["channel"], c["scope"]))
                        if _consent_visible(c, org_id, held)] if consents else []
    tags = [name for _, name, owner in contact["tags"] if owner == org_id or owner is None]
    tags.sort()
    return {
        "id": contact["id"],
        "given_name": contact["given_name"],
        "family_name": contact["family_name"],
        "language": contact["language"],
        "emails": emails,
        "phones": phones,
        "addresses": addresses,
        "external_id": link[2] if held else None,
        "tags": tags,
        "custom_fields": _custom_fields(link[4]) if held else {},
        "notes": link[3] if held else "",
        "consents": visible_consents,
        "held": held,
        "created_at": contact["created_at"],
        "modified_at": contact["modified_at"],
        "merged_into": contact["merged_into_id"],
    }
