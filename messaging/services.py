"""Sending a message to a person at most once, honouring consent.

send_once(organization, contact, channel, kind, dedupe_key, subject, body):
1. Insert the Message row first (status queued) in its own transaction. The UNIQUE dedupe_key means only one
   caller, whichever worker or retry, wins the insert; every other caller gets the existing row back and sends
   nothing. A row left `failed` may be claimed again by a retry (a conditional UPDATE, so again only one wins).
2. Check consent and an address. Rule (DESIGN.md section 4, stated here because the contract is silent):
   - email: sent unless the person's current email consent for this organization (or coalition-wide) is an
     opt-out; needs an email address (the primary one). Transactional mail about an event the person signed up
     for does not need a prior opt-in, but an opt-out always wins.
   - sms: sent only with a current sms opt-in (organization or coalition scope) and a phone, preferring a mobile
     number (text messages need express consent).
   Otherwise the row becomes `skipped_no_consent` with the reason in `error`.
3. Send through Django's mail backend (settings.EMAIL_BACKEND) or the SMS backend (settings.SMS_BACKEND),
   then mark the row sent. A backend error marks it failed and is raised, so the job fails and may be retried.
Call it outside a transaction (as the rq job does), so the claim commits before the send.
A process that dies between steps 1 and 3 leaves the row `queued`: the message is then never sent rather than
sent twice (at-most-once is the promise for messages to people).
"""
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.consent import consent_status
from contacts.models import Contact
from jobs.services import job_enqueue
from organizations.errors import DomainError

from .models import Channel, Message, MessageStatus
from .sms import get_backend


def recipient(contact: Contact, channel: str, organization) -> tuple[str, str]:
    """(address, "") when the person may be reached on `channel` for `organization`, else ("", reason)."""
    status = consent_status(contact, channel, organization)
    if channel == Channel.EMAIL:
        if status == "opt_out":
            return "", "email opt-out"
        email = contact.emails.order_by("-primary", "id").first()
        return (email.address, "") if email else ("", "no email address")
    if channel == Channel.SMS:
        if status != "opt_in":
            return "", "no sms opt-in" if status is None else "sms opt-out"
        phones = list(contact.phones.order_by("-primary", "id"))
        phone = next((p for p in phones if p.type == "mobile"), None) or next(
            (p for p in phones if p.type != "landline"), None)
        return (phone.number, "") if phone else ("", "no mobile phone")
    raise DomainError("invalid_channel", f"Unknown channel {channel!r}.", field="channel")


def _claim(*, organization, contact, channel, kind, dedupe_key, subject, body) -> Message | None:
    """The Message row if this caller now owns sending it; None if another caller has it or it is done."""
    try:
        with transaction.atomic():
            return Message.objects.create(organization=organization, contact=contact, channel=channel, kind=kind,
                                          dedupe_key=dedupe_key, subject=subject[:300], body=body, attempts=1)
    except IntegrityError:
        pass
    claimed = Message.objects.filter(dedupe_key=dedupe_key, status=MessageStatus.FAILED).update(
        status=MessageStatus.QUEUED, error="", subject=subject[:300], body=body)
    return Message.objects.get(dedupe_key=dedupe_key) if claimed else None


def send_once(*, organization, contact: Contact, channel: str, kind: str, dedupe_key: str, subject: str = "",
              body: str) -> Message:
    """Send the message unless one with this dedupe_key was already sent (or is being sent). Returns the row."""
    if channel not in Channel.values:
        raise DomainError("invalid_channel", f"Unknown channel {channel!r}.", field="channel")
    message = _claim(organization=organization, contact=contact, channel=channel, kind=kind,
                     dedupe_key=dedupe_key, subject=subject, body=body)
    if message is None:
        return Message.objects.get(dedupe_key=dedupe_key)
    address, reason = recipient(contact, channel, organization)
    if not address:
        _mark(message, MessageStatus.SKIPPED_NO_CONSENT, error=reason)
        return message
    try:
        if channel == Channel.EMAIL:
            EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address]).send()
        else:
            get_backend().send(address, body)
    except Exception as exc:
        _mark(message, MessageStatus.FAILED, to=address, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    _mark(message, MessageStatus.SENT, to=address, sent_at=timezone.now())
    return message


def _mark(message: Message, status: str, **fields) -> None:
    for name, value in fields.items():
        setattr(message, name, value)
    message.status = status
    Message.objects.filter(pk=message.pk).update(status=status, **fields)


def send_enqueue(*, organization, contact: Contact, channel: str, kind: str, dedupe_key: str, subject: str = "",
                 body: str, actor=None, queue: str = "default"):
    """Queue a send_once as a Job (runs after the surrounding transaction commits)."""
    return job_enqueue(organization=organization, kind="messaging.send", actor=actor, queue=queue, params={
        "contact": str(contact.pk), "channel": channel, "kind": kind, "dedupe_key": dedupe_key,
        "subject": subject, "body": body})
