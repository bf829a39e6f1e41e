"""The one place where a form's messages leave the system (called by the outbox job).

- confirmation: an email to the person, in the language they used, with the form's thank-you text.
- notification: the partner (owner or entitled co-sponsor) is told a person came in through the form, by email
  to its admin and organizer staff.

When `messaging.services.send_once` exists (the events branch builds it) the confirmation goes through it, so
consent checks, the message log and its dedupe key apply; until then Django's mail backend sends it.
"""
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from organizations.models import Membership, Role

from .rendering import text_for

try:  # pragma: no cover - depends on which branches are merged
    from messaging.services import send_once
except ImportError:  # messaging is not on this branch yet
    send_once = None


def _confirmation(message) -> str:
    submission, form = message.submission, message.submission.form
    contact = submission.contact
    email = contact.emails.order_by("-primary", "id").first() if contact else None
    if email is None:
        return "no email address"
    with translation.override(submission.language):
        subject = text_for(form, "title", submission.language)
        body = text_for(form, "thank_you_text", submission.language) or _("Thank you! Your response was recorded.")
        body = f"{body}\n\n— {form.organization.name}"
    if send_once is not None:
        sent = send_once(organization=form.organization, contact=contact, channel="email", kind="form.confirmation",
                         dedupe_key=f"webforms-outbox:{message.pk}", subject=subject, body=body)
        return f"messaging: {sent.status}"
    send_mail(subject, body, None, [email.address])
    return f"mailed to {email.address}"


def _notification(message) -> str:
    submission, form = message.submission, message.submission.form
    recipients = sorted({m.user.email for m in Membership.objects.filter(
        organization=message.organization, role__in=[Role.ADMIN, Role.ORGANIZER]).select_related("user")
        if m.user.email})
    if not recipients:
        return "no staff email on file"
    name = str(submission.contact) if submission.contact else "someone"
    send_mail(f"New response to {form.title}", f"{name} responded to {form.title} ({form.kind}) on "
              f"{submission.created_at:%Y-%m-%d %H:%M} UTC, recruited by {submission.recruited_by.name}. "
              f"See /api/v1/forms/{form.slug}/submissions/.", None, recipients)
    return f"notified {len(recipients)} staff"


def deliver(message) -> str:
    return _confirmation(message) if message.kind == "confirmation" else _notification(message)
