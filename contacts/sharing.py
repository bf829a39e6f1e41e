"""The one place that decides what an organization sees of a contact (DESIGN.md section 4).

- A holder (an organization with a link) sees the names, the details it supplied itself, its own external id,
  tags, notes, custom fields and organization-scope consents.
- Anyone who may see the contact (holders included) additionally sees what the person agreed to share with the
  coalition: emails if there is a current coalition-scope email opt-in, phones if sms or call, and a
  district-level address (city, state, ZIP; no street, no coordinates).
- Another organization's external ids, tags, notes, custom fields and organization-scope consents are never
  shown. Every contact serializer, the change feed, exports and webhooks render through `contact_view`.
"""
from .consent import current_consents
from .models import Contact

PREFETCH = ["emails", "phones", "addresses", "links", "consents", "taggings__tag"]


def _shared_channels(consents) -> set[str]:
    return {channel for (channel, scope, _), c in consents.items() if scope == "coalition" and c.status == "opt_in"}


def _consent_view(consent) -> dict:
    return {"channel": consent.channel, "scope": consent.scope, "status": consent.status, "source": consent.source,
            "text": consent.text, "captured_at": consent.captured_at}


def contact_view(contact: Contact, organization) -> dict:
    """The contact shape of the API for `organization` (which must be allowed to see the contact)."""
    link = next((link for link in contact.links.all() if link.organization_id == organization.pk), None)
    consents = current_consents(contact)
    shared = _shared_channels(consents) if contact.coalition_shared else set()

    def mine(value):
        return link is not None and organization.pk in value.supplied_by

    emails = [{"address": e.address, "primary": e.primary} for e in contact.emails.all()
              if mine(e) or "email" in shared]
    phones = [{"number": p.number, "type": p.type, "primary": p.primary} for p in contact.phones.all()
              if mine(p) or shared & {"sms", "call"}]
    addresses = []
    for a in contact.addresses.all():
        if mine(a):
            addresses.append({"line1": a.line1, "line2": a.line2, "city": a.city, "state": a.state,
                              "postal_code": a.postal_code, "latitude": a.latitude, "longitude": a.longitude,
                              "precision": a.precision, "primary": a.primary})
        elif contact.coalition_shared:
            addresses.append({"line1": "", "line2": "", "city": a.city, "state": a.state,
                              "postal_code": a.postal_code, "latitude": None, "longitude": None,
                              "precision": "none", "primary": a.primary})
    visible_consents = [_consent_view(c) for (_, scope, org_id), c in sorted(consents.items(), key=str)
                        if scope == "coalition" or (link is not None and org_id == organization.pk)]
    tags = sorted(t.tag.name for t in contact.taggings.all()
                  if t.tag.organization_id == organization.pk or t.tag.organization_id is None)
    return {
        "id": contact.pk,
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
