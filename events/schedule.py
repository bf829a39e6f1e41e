"""Queueing the messages and sweeps of events on rq, after the surrounding transaction commits.

Reminders are scheduled with rq's scheduler (`enqueue_at`, run by the worker started with --with-scheduler) for
a day and two hours before the start. The job checks at send time whether it is still due against the event's
current start (events.jobs.remind), so a moved event simply has new reminders scheduled and the old ones skip;
the dedupe key includes the start time, so no reminder for one start time is ever sent twice.
"""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from jobs.queues import queue

REMINDERS = {"day": timedelta(hours=24), "two_hours": timedelta(hours=2)}


def _at(when, func: str, *args):
    if when <= timezone.now():
        queue().enqueue(func, *args)
    else:
        queue().enqueue_at(when, func, *args)


def notify(signup, kind: str, token="") -> None:
    signup_id = str(signup.pk)
    transaction.on_commit(lambda: queue().enqueue("events.jobs.notify", signup_id, kind, str(token)))


def signed_up(signup, kind: str) -> None:
    """One rq job after a signup commits: it sends the confirmation (or waitlist notice) and, for a registered
    person, schedules the reminders (events.jobs.signed_up), so the request makes one Redis round of work."""
    signup_id = str(signup.pk)
    transaction.on_commit(lambda: queue().enqueue("events.jobs.signed_up", signup_id, kind))


def reminders(signup) -> None:
    signup_id, starts_at = str(signup.pk), signup.event.starts_at

    def enqueue():
        for which, before in REMINDERS.items():
            if timezone.now() < starts_at - (timedelta(0) if which == "two_hours" else REMINDERS["two_hours"]):
                _at(starts_at - before, "events.jobs.remind", signup_id, which)
    transaction.on_commit(enqueue)


def no_shows(event) -> None:
    event_id, ends_at = str(event.pk), event.ends_at
    transaction.on_commit(lambda: _at(ends_at, "events.jobs.mark_no_shows", event_id))
