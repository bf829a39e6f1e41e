"""The one place that decides what an organization sees of a contact (DESIGN.md section 4).

- A holder (an organization with a link) sees the names, the details it supplied itself, its own external id,
  tags, notes, custom fields and organization-scope consents.
- Anyone who may see the contact (holders included) additionally sees what the person agreed to share with the
  coalition: emails if there is a current coalition-scope email opt-in, phones if sms or call, and a
  district-level address (city, state, ZIP; no street, no coordinates).
- Another organization's external ids, tags, notes, custom fields and organization-scope consents are never
  shown. Every contact response, the change feed, exports (and later webhooks) render through `render_contacts`
  / `contact_view`.

Rendering is set-based: `load_parts` reads the rows of a page of contacts in one query per table (plain tuples,
no model instances), so a page of 1,000 contacts costs seven queries.
"""
from collections import namedtuple

from .consent import latest_consents
from .models import Consent, Contact, ContactAddress, ContactEmail, ContactPhone, OrganizationContact, Tagging

CONTACT_FIELDS = ["id", "given_name", "family_name", "language", "coalition_shared", "created_at", "modified_at",
                  "merged_into_id"]
ADDRESS_FIELDS = ["line1", "line2", "city", "state", "postal_code", "latitude", "longitude", "precision"]
Parts = namedtuple("Parts", "emails phones addresses links consents tags")
_Tag = namedtuple("_Tag", "name organization_id")


def load_parts(ids) -> dict:
    """{contact id: Parts} for these contacts, each list in display order (primary first)."""
    ids = list(ids)
    parts = {i: Parts([], [], [], [], [], []) for i in ids}
    if not ids:
        return parts
    queries = (
        (0, ContactEmail, ["address", "primary", "supplied_by"]),
        (1, ContactPhone, ["number", "type", "primary", "supplied_by"]),
        (2, ContactAddress, [*ADDRESS_FIELDS, "primary", "supplied_by"]),
        (3, OrganizationContact, ["organization_id", "external_id", "notes", "custom_fields"]),
        (4, Consent, ["id", "channel", "scope", "organization_id", "status", "source", "text", "captured_at",
                      "recorded_at"]),
    )
    for position, model, fields in queries:
        order = ["contact_id", "-primary", "id"] if "primary" in fields else ["contact_id"]
        for row in model.objects.filter(contact_id__in=ids).order_by(*order).values_list(
                "contact_id", *fields, named=True):
            parts[row.contact_id][position].append(row)
    for contact_id, name, organization_id in Tagging.objects.filter(contact_id__in=ids).values_list(
            "contact_id", "tag__name", "tag__organization_id"):
        parts[contact_id].tags.append(_Tag(name, organization_id))
    return parts


def render_contacts(organization, ids) -> dict:
    """{id: contact_view} for the contacts with these ids (the caller checked the organization may see them)."""
    ids = list(dict.fromkeys(ids))
    parts = load_parts(ids)
    return {row.id: contact_view(row, organization, parts[row.id])
            for row in Contact.objects.filter(pk__in=ids).values_list(*CONTACT_FIELDS, named=True)}


def _shared_channels(consents) -> set[str]:
    return {channel for (channel, scope, _), c in consents.items() if scope == "coalition" and c.status == "opt_in"}


def _consent_view(consent) -> dict:
    return {"channel": consent.channel, "scope": consent.scope, "status": consent.status, "source": consent.source,
            "text": consent.text, "captured_at": consent.captured_at}


def _consent_visible(consent, organization, held: bool) -> bool:
    return consent.scope == "coalition" or (held and consent.organization_id == organization.pk)


def consents_view(contact_id, organization) -> dict:
    """The consent history and current state an organization may see (coalition scope, and its own)."""
    parts = load_parts([contact_id])[contact_id]
    held = any(link.organization_id == organization.pk for link in parts.links)
    history = sorted((c for c in parts.consents if _consent_visible(c, organization, held)),
                     key=lambda c: (c.captured_at, c.recorded_at))
    current = [c for c in latest_consents(parts.consents).values() if _consent_visible(c, organization, held)]
    return {"current": [_consent_view(c) for c in sorted(current, key=lambda c: (c.channel, c.scope))],
            "history": [{**_consent_view(c), "id": c.id, "recorded_at": c.recorded_at} for c in history]}


def contact_view(contact, organization, parts: Parts | None = None) -> dict:
    """The contact shape of the API for `organization` (which must be allowed to see the contact)."""
    if parts is None:
        parts = load_parts([contact.id])[contact.id]
    link = next((link for link in parts.links if link.organization_id == organization.pk), None)
    consents = latest_consents(parts.consents)
    shared = _shared_channels(consents) if contact.coalition_shared else set()
    org_id = organization.pk

    def mine(value):
        return link is not None and org_id in value.supplied_by

    emails = [{"address": e.address, "primary": e.primary} for e in parts.emails
              if mine(e) or "email" in shared]
    phones = [{"number": p.number, "type": p.type, "primary": p.primary} for p in parts.phones
              if mine(p) or shared & {"sms", "call"}]
    addresses = []
    for a in parts.addresses:
        if mine(a):
            addresses.append({"line1": a.line1, "line2": a.line2, "city": a.city, "state": a.state,
                              "postal_code": a.postal_code, "latitude": a.latitude, "longitude": a.longitude,
                              "precision": a.precision, "primary": a.primary})
        elif contact.coalition_shared:
            addresses.append({"line1": "", "line2": "", "city": a.city, "state": a.state,
                              "postal_code": a.postal_code, "latitude": None, "longitude": None,
                              "precision": "none", "primary": a.primary})
    visible_consents = [_consent_view(c) for c in sorted(consents.values(), key=lambda c: (c.channel, c.scope))
                        if _consent_visible(c, organization, link is not None)]
    tags = sorted(t.name for t in parts.tags if t.organization_id == org_id or t.organization_id is None)
    return {
        "id": contact.id,
        "given_name": contact.given_name,
        "family_name": contact.family_name,
        "language": contact.language,
        "emails": emails,
        "phones": phones,
        "addresses": addresses,
        "external_id": link.external_id if link else None,
        "tags": tags,
        "custom_fields": link.custom_fields if link else {},
        "notes": link.notes if link else "",
        "consents": visible_consents,
        "held": link is not None,
        "created_at": contact.created_at,
        "modified_at": contact.modified_at,
        "merged_into": contact.merged_into_id,
    }
