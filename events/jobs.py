"""rq jobs of events: thin wrappers that re-check the facts at run time, then call the services.

A job may run late, twice, or after the event changed: each one decides again whether it is still due, and
messaging.send_once makes a second send of the same message impossible.
"""
from datetime import timedelta

from django.utils import timezone

from messaging.services import send_once

from . import schedule, services
from .models import EventStatus, Signup, SignupStatus
from .notices import render
from .schedule import REMINDERS

STILL_DUE = {
    "confirmation": {SignupStatus.REGISTERED, SignupStatus.CONFIRMED},
    "waitlisted": {SignupStatus.WAITLISTED},
    "promoted": {SignupStatus.REGISTERED, SignupStatus.CONFIRMED},
    "changed": {SignupStatus.REGISTERED, SignupStatus.CONFIRMED, SignupStatus.WAITLISTED},
    "cancelled": {SignupStatus.REGISTERED, SignupStatus.CONFIRMED, SignupStatus.WAITLISTED},
    "signup_cancelled": {SignupStatus.CANCELLED},
}


def _signup(signup_id):
    return Signup.objects.select_related("event__host", "shift", "contact", "recruited_by").filter(
        pk=signup_id).first()


def _send(signup, kind: str, key: str) -> list[str]:
    subject, body, text = render(kind, signup)
    statuses = []
    for channel in ("email", "sms"):
        message = send_once(organization=signup.recruited_by, contact=signup.contact, channel=channel,
                            kind=f"events.{kind}", dedupe_key=f"events.{kind}:{signup.pk}:{key}:{channel}",
                            subject=subject, body=body if channel == "email" else text)
        statuses.append(message.status)
    return statuses


def notify(signup_id: str, kind: str, token: str = "") -> list[str]:
    signup = _signup(signup_id)
    if signup is None or signup.status not in STILL_DUE[kind]:
        return []
    if kind != "cancelled" and signup.event.status == EventStatus.CANCELLED:
        return []
    return _send(signup, kind, token)


def signed_up(signup_id: str, kind: str) -> list[str]:
    """After a signup: its confirmation (or waitlist notice), then the reminders if the person has a place."""
    sent = notify(signup_id, kind)
    signup = _signup(signup_id)
    if signup is not None and signup.status in (SignupStatus.REGISTERED, SignupStatus.CONFIRMED):
        schedule.reminders(signup)
    return sent


def is_due(signup, which: str, now=None) -> bool:
    """A reminder is due from its time until the next one (the two-hour one until the start)."""
    now = now or timezone.now()
    event = signup.event
    if event.status != EventStatus.PUBLISHED or signup.status not in (SignupStatus.REGISTERED, SignupStatus.CONFIRMED):
        return False
    start = event.starts_at
    until = start - REMINDERS["two_hours"] if which == "day" else start
    return start - REMINDERS[which] - timedelta(minutes=1) <= now < until


def remind(signup_id: str, which: str) -> list[str]:
    signup = _signup(signup_id)
    if signup is None or not is_due(signup, which):
        return []
    return _send(signup, f"reminder_{which}", signup.event.starts_at.isoformat())


def mark_no_shows(event_id: str) -> int:
    return services.mark_no_shows(event_id=event_id)
