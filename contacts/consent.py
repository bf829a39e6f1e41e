"""Consent: an append-only history per contact; the current state is derived from it.

An opt-out is sticky: an opt-in that is not a fresh, explicit event (with its source and the exact text the
person saw) never turns a current opt-out back on. A current coalition-scope opt-in on any channel is what
shares a contact with the whole coalition (Contact.coalition_shared, kept in step here).
"""
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from organizations.models import ApiKey
from organizations.services import audit_record

from .models import Consent, Contact


@dataclass
class ConsentOutcome:
    consent: Consent | None
    ignored_reason: str = ""


def latest_consents(consents, get=getattr) -> dict[tuple[str, str, object], Consent]:
    """{(channel, scope, organization_id or None): latest consent} of a history (Consent rows, or dicts with
    get=dict.get): the current state is derived, never stored."""
    latest = {}
    for consent in sorted(consents, key=lambda c: (get(c, "captured_at"), get(c, "recorded_at"))):
        latest[(get(consent, "channel"), get(consent, "scope"), get(consent, "organization_id"))] = consent
    return latest


def current_consents(contact: Contact) -> dict[tuple[str, str, object], Consent]:
    return latest_consents(contact.consents.all())


def consent_status(contact: Contact, channel: str, organization) -> str | None:
    """What applies when `organization` wants to reach the person on `channel`: an opt-out at either the
    organization or the coalition scope wins; otherwise an opt-in at either scope; otherwise None (unknown)."""
    current = current_consents(contact)
    statuses = [c.status for key, c in current.items()
                if key[0] == channel and (key[1] == "coalition" or key[2] == organization.pk)]
    if "opt_out" in statuses:
        return "opt_out"
    return "opt_in" if "opt_in" in statuses else None


def consent_decide(current: Consent | None, status: str, text: str, source: str) -> str:
    """Why a new consent event would not be recorded ("" to record it). The sticky opt-out rule lives here."""
    if status == "opt_in" and current is not None and current.status == "opt_out" and not (text or "").strip():
        return "opt_out_is_sticky: an opt-in needs the exact consent text to undo an opt-out"
    if current is not None and current.status == status and current.text == text and current.source == source:
        return "unchanged"
    return ""


def consent_record(*, contact: Contact, recorded_by, channel: str, scope: str, status: str, source: str,
                   text: str = "", ip_address: str | None = None, captured_at=None, actor=None) -> ConsentOutcome:
    """Append a consent event unless it would silently undo an opt-out; records the contact's change."""
    from .changes import lock_contact, record_change

    with transaction.atomic():
        lock_contact(contact)
        getattr(contact, "_prefetched_objects_cache", {}).pop("consents", None)
        organization = recorded_by if scope == "organization" else None
        key = (channel, scope, organization.pk if organization else None)
        current = current_consents(contact).get(key)
        reason = consent_decide(current, status, text, source)
        if reason:
            return ConsentOutcome(current if reason == "unchanged" else None, reason)
        consent = Consent.objects.create(
            contact=contact, channel=channel, scope=scope, organization=organization, recorded_by=recorded_by,
            status=status, source=source, text=text, ip_address=ip_address,
            captured_at=captured_at or timezone.now(),
            actor_key=actor if isinstance(actor, ApiKey) else None,
            actor_user=actor if isinstance(actor, AbstractBaseUser) else None)
        was_shared = contact.coalition_shared
        refresh_coalition_shared(contact)
        Contact.objects.filter(pk=contact.pk).update(modified_at=timezone.now())
        audit_record(organization=recorded_by, actor=actor, verb="consent.changed", obj=contact,
                     details={"channel": channel, "scope": scope, "status": status, "source": source,
                              "previous": current.status if current else None})
        extra = {"unshared": True} if was_shared and not contact.coalition_shared else {}
        consent_details = {"channel": channel, "scope": scope, "status": status, "source": source,
                           "organization": str(recorded_by.pk)}
        record_change(contact, "updated", consents=[consent_details], **extra)
    return ConsentOutcome(consent)


def refresh_coalition_shared(contact: Contact) -> None:
    shared = any(c.status == "opt_in" for key, c in current_consents(contact).items() if key[1] == "coalition")
    if shared != contact.coalition_shared:
        contact.coalition_shared = shared
        Contact.objects.filter(pk=contact.pk).update(coalition_shared=shared)
