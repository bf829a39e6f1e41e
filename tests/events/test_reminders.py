"""Messages about events go through a real rq worker process and messaging.send_once."""
import json
from datetime import timedelta

import django_rq
import pytest
from django.utils import timezone

from events import schedule
from events.models import Signup
from messaging.models import Message
from tests.messaging.people import make_person
from tests.support import client_for, run_worker_burst, subprocess_env

from .builders import make_event


@pytest.fixture
def outbox(tmp_path, monkeypatch):
    """Worker processes write mail and texts to files here; read them back as lists."""
    env = subprocess_env(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                         EMAIL_FILE_PATH=str(tmp_path / "mail"), SMS_BACKEND="messaging.sms.FileBackend",
                         SMS_FILE_PATH=str(tmp_path / "sms.log"))
    monkeypatch.setattr("tests.support.subprocess_env", lambda **extra: {**env, **extra})

    class Box:
        def mails(self):
            folder = tmp_path / "mail"
            text = "".join(p.read_text() for p in folder.iterdir()) if folder.exists() else ""
            return [chunk for chunk in text.split("\n" + "-" * 79 + "\n") if "Subject:" in chunk]

        def texts(self):
            path = tmp_path / "sms.log"
            return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return Box()


def kinds(**filters):
    return sorted(Message.objects.filter(**filters).values_list("kind", "channel", "status"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_confirmation_and_two_hour_reminder_are_sent_once_with_consent(org_a, outbox):
    start = (timezone.now() + timedelta(minutes=90)).replace(second=0, microsecond=0)
    event = make_event(org_a, start=start)
    willing = make_person(org_a, "Ana", email="ana@example.org", phone="+18605550101",
                          consents=[("sms", "opt_in")])
    unwilling = make_person(org_a, "Ben", email="ben@example.org", phone="+18605550102",
                            consents=[("email", "opt_out")])
    client = client_for(org_a)
    for person in (willing, unwilling):
        assert client.post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(person.pk)}).status_code == 201
    run_worker_burst()
    assert kinds(contact=willing) == [
        ("events.confirmation", "email", "sent"), ("events.confirmation", "sms", "sent"),
        ("events.reminder_two_hours", "email", "sent"), ("events.reminder_two_hours", "sms", "sent")]
    assert kinds(contact=unwilling) == [
        ("events.confirmation", "email", "skipped_no_consent"), ("events.confirmation", "sms", "skipped_no_consent"),
        ("events.reminder_two_hours", "email", "skipped_no_consent"),
        ("events.reminder_two_hours", "sms", "skipped_no_consent")]
    mails = outbox.mails()
    assert len(mails) == 2 and all("To: ana@example.org" in m for m in mails)
    assert any("Rally at the Capitol" in m and "210 Capitol Ave" in m for m in mails)
    assert [t["to"] for t in outbox.texts()] == ["+18605550101", "+18605550101"]

    # the same jobs queued again (a retry, a second trigger) send nothing new
    signup = Signup.objects.get(contact=willing)
    schedule.notify(signup, "confirmation")
    schedule.reminders(signup)
    run_worker_burst()
    assert len(outbox.mails()) == 2 and len(outbox.texts()) == 2
    assert Message.objects.filter(contact=willing).count() == 4


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_moved_event_reschedules_reminders_and_tells_people_and_waitlist_promotion(org_a, outbox):
    start = (timezone.now() + timedelta(minutes=90)).replace(second=0, microsecond=0)
    event = make_event(org_a, start=start, capacity=1)
    ana = make_person(org_a, "Ana", email="ana@example.org")
    ben = make_person(org_a, "Ben", email="ben@example.org")
    client = client_for(org_a)
    first = client.post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(ana.pk)}).json()
    assert client.post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(ben.pk)}).json()["status"] == "waitlisted"
    queue = django_rq.get_queue("default")
    queue.empty()  # drop the confirmation and two-hour reminder: the event moves before they run

    new_start = start + timedelta(days=3)
    moved = client.patch(f"/api/v1/events/{event.pk}/", {"starts_at": new_start.isoformat(),
                                                         "ends_at": (new_start + timedelta(hours=3)).isoformat()})
    assert moved.status_code == 200, moved.content
    schedule_ids = queue.scheduled_job_registry.get_job_ids()
    assert len(schedule_ids) == 2, "day and two-hour reminders for the new time wait in rq's scheduler"
    # the old two-hour reminder runs late: it is no longer due for the new time and sends nothing
    queue.enqueue("events.jobs.remind", first["id"], "two_hours")
    run_worker_burst()
    assert kinds(contact=ana) == [("events.changed", "email", "sent"), ("events.changed", "sms", "skipped_no_consent")]
    assert "Changed: Rally at the Capitol" in outbox.mails()[0]

    assert client.patch(f"/api/v1/signups/{first['id']}/", {"status": "cancelled"}).status_code == 200
    run_worker_burst()
    assert ("events.promoted", "email", "sent") in kinds(contact=ben)
    assert ("events.signup_cancelled", "email", "sent") in kinds(contact=ana)
    assert client.patch(f"/api/v1/events/{event.pk}/", {"status": "cancelled"}).status_code == 200
    run_worker_burst()
    run_worker_burst()
    assert kinds(contact=ben, kind="events.cancelled") == [("events.cancelled", "email", "sent"),
                                                           ("events.cancelled", "sms", "skipped_no_consent")]
    assert sum("Cancelled: Rally" in m for m in outbox.mails()) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_no_show_sweep_runs_in_a_real_worker_at_the_end_of_an_event_that_used_check_in(org_a, outbox):
    start = timezone.now() - timedelta(hours=1)
    event = make_event(org_a, start=start, hours=2)
    came, missed = (make_person(org_a, name, email=f"{name.lower()}@example.org") for name in ("Came", "Missed"))
    client = client_for(org_a)
    for person in (came, missed):
        assert client.post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(person.pk)}).status_code == 201
    assert client.post(f"/api/v1/events/{event.pk}/check-in/", {"contact": str(came.pk)}).status_code == 201
    queue = django_rq.get_queue("default")
    assert len(queue.scheduled_job_registry.get_job_ids()) == 1, "the sweep waits for the end"
    run_worker_burst()
    assert Signup.objects.get(contact=missed).status == "registered", "not before the end"
    # the event ends early: the sweep is scheduled again for the new end, which has passed, and runs now
    ended = client.patch(f"/api/v1/events/{event.pk}/", {"ends_at": (timezone.now() - timedelta(minutes=1)).isoformat()})
    assert ended.status_code == 200, ended.content
    run_worker_burst()
    assert Signup.objects.get(contact=missed).status == "no_show"
    assert Signup.objects.get(contact=came).status == "attended"
    assert client.get(f"/api/v1/signups/reliability/?contact={missed.pk}").json()["reliability"] == 0.0
