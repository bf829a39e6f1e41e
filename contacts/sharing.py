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
consents and tags aggregated as JSON (no model instances), so a page of 1,000 contacts is one round trip.
"""
from uuid import UUID

from django.db import connection

from .consent import latest_consents

_PARTS_SQL = """
SELECT coalesce(json_agg(json_build_object(
  'id', c.id, 'given_name', c.given_name, 'family_name', c.family_name, 'language', c.language,
  'coalition_shared', c.coalition_shared, 'created_at', c.created_at, 'modified_at', c.modified_at,
  'merged_into_id', c.merged_into_id,
  'emails', (SELECT coalesce(json_agg(json_build_object('address', e.address, 'primary', e."primary",
                                              'supplied_by', e.supplied_by) ORDER BY e."primary" DESC, e.id), '[]')
     FROM contacts_contactemail e WHERE e.contact_id = c.id),
  'phones', (SELECT coalesce(json_agg(json_build_object('number', p.number, 'type', p.type, 'primary', p."primary",
                                              'supplied_by', p.supplied_by) ORDER BY p."primary" DESC, p.id), '[]')
     FROM contacts_contactphone p WHERE p.contact_id = c.id),
  'addresses', (SELECT coalesce(json_agg(json_build_object('line1', a.line1, 'line2', a.line2, 'city', a.city, 'state', a.state,
                                              'postal_code', a.postal_code, 'latitude', a.latitude,
                                              'longitude', a.longitude, 'precision', a.precision,
                                              'primary', a."primary", 'supplied_by', a.supplied_by)
                            ORDER BY a."primary" DESC, a.id), '[]')
     FROM contacts_contactaddress a WHERE a.contact_id = c.id),
  'links', (SELECT coalesce(json_agg(json_build_object('organization_id', l.organization_id, 'external_id', l.external_id,
                                              'notes', l.notes, 'custom_fields', l.custom_fields)), '[]')
     FROM contacts_organizationcontact l WHERE l.contact_id = c.id),
  'consents', (SELECT coalesce(json_agg(json_build_object('id', k.id, 'channel', k.channel, 'scope', k.scope,
                                              'organization_id', k.organization_id, 'status', k.status,
                                              'source', k.source, 'text', k.text, 'captured_at', k.captured_at,
                                              'recorded_at', k.recorded_at)), '[]')
     FROM contacts_consent k WHERE k.contact_id = c.id),
  'tags', (SELECT coalesce(json_agg(json_build_array(t.name, t.organization_id)), '[]')
     FROM contacts_tagging g JOIN contacts_tag t ON t.id = g.tag_id WHERE g.contact_id = c.id)
)), '[]')
FROM contacts_contact c WHERE c.id = ANY(%s::uuid[])
"""


def _timestamp(value: str) -> str:
    """PostgreSQL's JSON timestamps in the API's form (UTC with Z, like the contact's own timestamps)."""
    return value[:-6] + "Z" if value and value.endswith("+00:00") else value


def load_contacts(ids) -> dict:
    """{contact id: contact dict with its parts} for these contacts."""
    ids = [str(i) for i in dict.fromkeys(ids)]
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_PARTS_SQL, [ids])
        contacts = cursor.fetchone()[0]  # one JSON document for the page: one parse
    found = {}
    for contact in contacts:
        for name in ("created_at", "modified_at"):
            contact[name] = _timestamp(contact[name])
        for consent in contact["consents"]:
            consent["captured_at"] = _timestamp(consent["captured_at"])
            consent["recorded_at"] = _timestamp(consent["recorded_at"])
        found[UUID(contact["id"])] = contact
    return found


def render_contacts(organization, ids) -> dict:
    """{id: contact_view} for the contacts with these ids (the caller checked the organization may see them)."""
    return {pk: contact_view(contact, organization) for pk, contact in load_contacts(ids).items()}


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
    held = any(link["organization_id"] == org_id for link in contact["links"])
    history = sorted((c for c in contact["consents"] if _consent_visible(c, org_id, held)),
                     key=lambda c: (c["captured_at"], c["recorded_at"]))
    current = [c for c in latest_consents(contact["consents"], dict.get).values()
               if _consent_visible(c, org_id, held)]
    return {"current": [_consent_view(c) for c in sorted(current, key=lambda c: (c["channel"], c["scope"]))],
            "history": [{**_consent_view(c), "id": c["id"], "recorded_at": c["recorded_at"]} for c in history]}


def contact_view(contact: dict, organization) -> dict:
    """The contact shape of the API for `organization` (which must be allowed to see the contact)."""
    org_id = str(organization.pk)
    link = next((link for link in contact["links"] if link["organization_id"] == org_id), None)
    consents = latest_consents(contact["consents"], dict.get)
    shared = _shared_channels(consents) if contact["coalition_shared"] else set()

    def mine(value):
        return link is not None and org_id in value["supplied_by"]

    emails = [{"address": e["address"], "primary": e["primary"]} for e in contact["emails"]
              if mine(e) or "email" in shared]
    phones = [{"number": p["number"], "type": p["type"], "primary": p["primary"]} for p in contact["phones"]
              if mine(p) or shared & {"sms", "call"}]
    addresses = []
    for a in contact["addresses"]:
        if mine(a):
            addresses.append({"line1": a["line1"], "line2": a["line2"], "city": a["city"], "state": a["state"],
                              "postal_code": a["postal_code"], "latitude": a["latitude"],
                              "longitude": a["longitude"], "precision": a["precision"], "primary": a["primary"]})
        elif contact["coalition_shared"]:
            addresses.append({"line1": "", "line2": "", "city": a["city"], "state": a["state"],
                              "postal_code": a["postal_code"], "latitude": None, "longitude": None,
                              "precision": "none", "primary": a["primary"]})
    visible_consents = [_consent_view(c) for c in sorted(consents.values(), key=lambda c: (c["channel"], c["scope"]))
                        if _consent_visible(c, org_id, link is not None)]
    tags = sorted(name for name, owner in contact["tags"] if owner == org_id or owner is None)
    return {
        "id": contact["id"],
        "given_name": contact["given_name"],
        "family_name": contact["family_name"],
        "language": contact["language"],
        "emails": emails,
        "phones": phones,
        "addresses": addresses,
        "external_id": link["external_id"] if link else None,
        "tags": tags,
        "custom_fields": link["custom_fields"] if link else {},
        "notes": link["notes"] if link else "",
        "consents": visible_consents,
        "held": link is not None,
        "created_at": contact["created_at"],
        "modified_at": contact["modified_at"],
        "merged_into": contact["merged_into_id"],
    }
