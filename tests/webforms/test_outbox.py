"""No submission is lost when Redis is down: the submission and its outbox rows are stored, and the sweep queues
the messages for a real worker once Redis is back."""
import json
import subprocess
import sys

import django_rq
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from organizations.models import Membership
from tests.support import PROJECT_DIR, free_port, subprocess_env
from webforms.models import OutboxMessage, Submission
from webforms.services import outbox_drain

from .factories import make_form, signer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def submit(form, **fields):
    return Client().post(f"/api/public/forms/{form.slug}/", json.dumps(signer(form, **fields)),
                         content_type="application/json")


def worker_burst(mail_dir):
    env = subprocess_env(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                         EMAIL_FILE_PATH=str(mail_dir))
    result = subprocess.run([sys.executable, str(PROJECT_DIR / "manage.py"), "rqworker", "--burst", "default"],
                            env=env, capture_output=True, text=True, timeout=120, cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_redis_down_keeps_the_submission_and_the_sweep_sends_its_messages_later(org_a, settings, tmp_path):
    staff = get_user_model().objects.create(username="organizer", email="organizer@alpha.example", is_staff=True)
    Membership.objects.create(user=staff, organization=org_a, role="organizer")
    form = make_form(org_a)
    live_queues = settings.RQ_QUEUES
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.RQ_QUEUES = {name: {**config, "URL": dead} for name, config in live_queues.items()}
    response = submit(form, email="first@example.org")
    assert response.status_code == 201, response.content
    assert Submission.objects.count() == 1
    assert set(OutboxMessage.objects.values_list("kind", "status")) == {("confirmation", "pending"),
                                                                        ("notification", "pending")}

    settings.RQ_QUEUES = live_queues
    assert django_rq.get_queue("default").count == 0, "nothing reached the queue while Redis was down"
    response = submit(form, email="second@example.org", given_name="Ana")
    assert response.status_code == 201
    assert django_rq.get_queue("default").count == 1, "with Redis up the messages are queued at once (one job)"
    call_command("webforms_sweep", older_than=0)
    result = worker_burst(tmp_path)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}, result.stderr[-3000:]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert OutboxMessage.objects.count() == 4
    mail = "\n".join(p.read_text() for p in tmp_path.iterdir())
    assert "To: first@example.org" in mail and "To: second@example.org" in mail
    assert "Thanks for signing!" in mail and "To: organizer@alpha.example" in mail
    sent = mail.count("Thanks for signing!")
    call_command("webforms_sweep", older_than=0)  # nothing pending: nothing is sent twice
    worker_burst(tmp_path)
    assert "\n".join(p.read_text() for p in tmp_path.iterdir()).count("Thanks for signing!") == sent


def test_rate_limits_fail_open_when_redis_is_down(org_a, settings, monkeypatch, caplog):
    from api import throttling

    form = make_form(org_a)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}}
    settings.RQ_QUEUES = {name: {**config, "URL": dead} for name, config in settings.RQ_QUEUES.items()}
    monkeypatch.setattr(throttling, "_clients", {})  # the counter's client per process, made before Redis "died"
    assert submit(form).status_code == 201
    assert Submission.objects.count() == 1
    assert "form rate limit skipped" in caplog.text


def test_submissions_share_one_queued_drain_which_sends_every_pending_message(org_a):
    form = make_form(org_a)
    for n in range(3):
        assert submit(form, email=f"signer{n}@example.org").status_code == 201
    assert django_rq.get_queue("default").count == 1, "one drain for the three submissions"
    assert OutboxMessage.objects.filter(status="pending").count() == 6, "a confirmation and a notification each"

    assert outbox_drain() == (6, [])
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert submit(form, email="later@example.org").status_code == 201
    assert django_rq.get_queue("default").count == 2, "a submission after the drain began queues another"


def test_a_failed_delivery_stays_pending_and_fails_the_job_after_the_others(org_a, monkeypatch):
    from webforms import delivery, jobs

    form = make_form(org_a)
    for n in range(2):
        submit(form, email=f"signer{n}@example.org")
    real_deliver = delivery.deliver

    def deliver(message):
        if message.kind == "confirmation" and message.submission.contact.emails.get().address == "signer0@example.org":
            raise ConnectionError("mail server refused")
        return real_deliver(message)
    monkeypatch.setattr(delivery, "deliver", deliver)
    with pytest.raises(RuntimeError, match="mail server refused"):
        jobs.outbox_drain()
    failed = OutboxMessage.objects.get(status="pending")
    assert (failed.kind, failed.submission.contact.emails.get().address) == ("confirmation", "signer0@example.org")
    assert (failed.attempts, failed.result) == (1, "ConnectionError: mail server refused")
    monkeypatch.setattr(delivery, "deliver", real_deliver)
    assert outbox_drain() == (1, [])


def test_a_message_another_drain_is_delivering_is_left_to_it(org_a):
    import threading

    from django.db import connection, transaction

    form = make_form(org_a)
    submit(form, email="first@example.org")
    submit(form, email="second@example.org")
    held = OutboxMessage.objects.order_by("created_at").first()
    locked, release = threading.Event(), threading.Event()

    def other_drain():
        with transaction.atomic():
            OutboxMessage.objects.select_for_update().get(pk=held.pk)
            locked.set()
            release.wait(30)
        connection.close()
    thread = threading.Thread(target=other_drain)
    thread.start()
    try:
        assert locked.wait(30)
        assert outbox_drain() == (3, []), "the unlocked messages are sent, the locked one skipped without waiting"
    finally:
        release.set()
        thread.join()
    assert OutboxMessage.objects.get(pk=held.pk).status == "pending"
    assert outbox_drain() == (1, [])
