import subprocess
import sys

import pytest
from django.core import mail

from jobs.models import Job
from messaging.models import Message
from messaging.services import send_enqueue, send_once
from messaging.sms import LocmemBackend
from tests.support import PROJECT_DIR, subprocess_env

from .people import make_person


def _send(org, contact, key="k1", channel="email", **extra):
    return send_once(organization=org, contact=contact, channel=channel, kind="test.hello", dedupe_key=key,
                     subject="Hello", body="See you there", **extra)


@pytest.mark.django_db
def test_email_is_sent_once_per_dedupe_key(org_a):
    ana = make_person(org_a, email="ana@example.org")
    first = _send(org_a, ana)
    second = _send(org_a, ana)
    assert first.status == "sent" and first.to == "ana@example.org" and first.sent_at
    assert second.pk == first.pk
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_email_opt_out_or_no_address_is_skipped_and_logged(org_a, org_b):
    opted_out = make_person(org_a, "Ben", email="ben@example.org", consents=[("email", "opt_out")])
    no_email = make_person(org_a, "Cy", phone="+18605550123")
    assert _send(org_a, opted_out, "a").status == "skipped_no_consent"
    assert _send(org_a, no_email, "b").error == "no email address"
    assert mail.outbox == []
    # the opt-out was given to alpha; bravo's message about its own event is not blocked by it
    assert _send(org_b, opted_out, "c").status == "sent"


@pytest.mark.django_db
def test_sms_needs_an_opt_in_and_a_phone(org_a, settings):
    settings.SMS_BACKEND = "messaging.sms.LocmemBackend"
    LocmemBackend.outbox.clear()
    silent = make_person(org_a, "Dee", phone="+18605550124")
    willing = make_person(org_a, "Eve", phone="+18605550125", consents=[("sms", "opt_in")])
    assert _send(org_a, silent, "a", channel="sms").status == "skipped_no_consent"
    sent = _send(org_a, willing, "b", channel="sms")
    assert sent.status == "sent" and sent.to == "+18605550125"
    assert LocmemBackend.outbox == [{"to": "+18605550125", "body": "See you there"}]


class Broken:
    def send(self, to, body):
        raise ConnectionError("gateway down")


@pytest.mark.django_db
def test_a_failed_send_is_recorded_and_a_retry_sends_it(org_a, settings):
    willing = make_person(org_a, "Eve", phone="+18605550125", consents=[("sms", "opt_in")])
    settings.SMS_BACKEND = "tests.messaging.test_send_once.Broken"
    with pytest.raises(ConnectionError):
        _send(org_a, willing, channel="sms")
    failed = Message.objects.get()
    assert failed.status == "failed" and "gateway down" in failed.error
    settings.SMS_BACKEND = "messaging.sms.LocmemBackend"
    LocmemBackend.outbox.clear()
    assert _send(org_a, willing, channel="sms").status == "sent"
    assert len(LocmemBackend.outbox) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_real_workers_racing_on_one_dedupe_key_send_once(org_a, tmp_path):
    ana = make_person(org_a, email="ana@example.org")
    bob = make_person(org_a, "Bob", email="bob@example.org")
    for _ in range(12):  # the same message queued many times (retries, duplicate triggers)
        send_enqueue(organization=org_a, contact=ana, channel="email", kind="test.race", dedupe_key="race-ana",
                     subject="Race", body="once")
        send_enqueue(organization=org_a, contact=bob, channel="email", kind="test.race", dedupe_key="race-bob",
                     subject="Race", body="once")
    env = subprocess_env(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                         EMAIL_FILE_PATH=str(tmp_path / "mail"))
    workers = [subprocess.Popen([sys.executable, "manage.py", "rqworker", "--burst", "default"], cwd=PROJECT_DIR,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(2)]
    logs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), logs
    assert sum(log.count("Job OK") for log in logs) == 24  # both workers took jobs in practice (11/13 seen)
    assert Job.objects.filter(kind="messaging.send", status="finished").count() == 24
    mails = "".join(path.read_text() for path in (tmp_path / "mail").iterdir())
    assert mails.count("To: ana@example.org") == 1
    assert mails.count("To: bob@example.org") == 1
    assert set(Message.objects.values_list("dedupe_key", "status")) == {("race-ana", "sent"), ("race-bob", "sent")}
