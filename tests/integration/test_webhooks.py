"""Webhooks against real PostgreSQL, Redis, rq worker processes and a real HTTP receiver."""
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from organizations.models import AuditEvent
from tests.support import client_for
from webhooks.delivery import signature_headers
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from webhooks.services import emit, webhook_create

from .support import Receiver, drain_webhooks

EXPORT = "/api/v1/audit-events/export/"


@pytest.fixture
def receiver():
    receivers = []

    def make(**kwargs):
        receivers.append(Receiver(**kwargs))
        return receivers[-1]
    yield make
    for r in receivers:
        r.close()


def subscribe(client, url, event_types=("job.finished",), **extra):
    response = client.post("/api/v1/webhooks/", {"url": url, "event_types": list(event_types), **extra},
                           format="json")
    assert response.status_code == 201, response.content
    return response.json()


def emit_job_finished(org, n=1):
    for i in range(n):
        emit(event_type="job.finished", audience=org, render=lambda o, i=i: {"job": {"n": i}})


# --- subscriptions ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_crud_shows_the_secret_once_and_audits_without_it(org_a):
    client = client_for(org_a)
    created = subscribe(client, "http://127.0.0.1:9/in", ("job.finished", "contact.created"), description="CRM")
    assert created["secret"].startswith("whsec_") and Webhook(created["secret"])  # a valid Standard Webhooks secret
    assert created["event_types"] == ["contact.created", "job.finished"] and created["active"] is True
    url = f"/api/v1/webhooks/{created['id']}/"
    shown = client.get(url).json()
    assert "secret" not in shown and created["secret"] not in client.get("/api/v1/webhooks/").content.decode()
    patched = client.patch(url, {"active": False, "event_types": ["signup.created"]}, format="json")
    assert patched.status_code == 200 and patched.json()["active"] is False
    rotated = client.post(f"{url}rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert client.delete(url).status_code == 204 and client.get(url).status_code == 404
    verbs = list(AuditEvent.objects.filter(object_type="webhookendpoint").values_list("verb", flat=True))
    assert sorted(verbs) == ["webhook.created", "webhook.deleted", "webhook.secret_rotated", "webhook.updated"]
    everything = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    assert "whsec_" not in everything


@pytest.mark.django_db
def test_bad_subscriptions_are_400s_naming_the_field_and_store_nothing(org_a, settings):
    client = client_for(org_a)

    def refused(body, field):
        response = client.post("/api/v1/webhooks/", body, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()["error"]["fields"], response.json()
        return response.json()["error"]

    good = {"url": "http://127.0.0.1:9/", "event_types": ["job.finished"]}
    assert "contact.exploded" in refused({**good, "event_types": ["contact.exploded"]}, "event_types")["message"]
    refused({**good, "event_types": []}, "event_types")
    refused({**good, "url": "not a url"}, "url")
    refused({**good, "url": "ftp://127.0.0.1/"}, "url")
    assert "link-local" in refused({**good, "url": "http://169.254.169.254/latest/meta-data/"}, "url")["message"]
    refused({**good, "url": "http://[fe80::1]/"}, "url")
    refused({**good, "url": "http://[::ffff:169.254.169.254]/"}, "url")
    refused({**good, "url": "http://user:pw@127.0.0.1/"}, "url")
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    assert "loopback" in refused(good, "url")["message"]
    refused({**good, "url": "http://localhost:8000/"}, "url")  # the name is resolved, then checked
    refused({**good, "url": "http://10.1.2.3/"}, "url")
    settings.PRODUCTION = True
    assert "https" in refused({**good, "url": "http://93.184.215.14/"}, "url")["message"]
    assert not WebhookEndpoint.objects.exists()
    settings.PRODUCTION, settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False, True
    endpoint = subscribe(client, "http://127.0.0.1:9/")
    response = client.patch(f"/api/v1/webhooks/{endpoint['id']}/", {"url": "http://169.254.169.254/"}, format="json")
    assert response.status_code == 400 and WebhookEndpoint.objects.get().url == "http://127.0.0.1:9/"


@pytest.mark.django_db
def test_event_types_are_listed(org_a):
    types = client_for(org_a).get("/api/v1/webhooks/event-types/").json()["event_types"]
    assert {"contact.created", "contact.merged", "consent.changed", "signup.updated", "submission.created",
            "testimony.updated", "job.finished", "contact.deleted"} <= set(types)


# --- emit ---------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_emit_builds_each_payload_per_organization_and_skips_those_who_may_not_see_it(make_org, org_a, org_b):
    org_c = make_org("charlie")
    for org in (org_a, org_b, org_c):
        webhook_create(organization=org, actor=None, url="http://127.0.0.1:9/", event_types=["contact.updated"])
    webhook_create(organization=org_a, actor=None, url="http://127.0.0.1:9/other", event_types=["signup.created"])
    inactive, _ = webhook_create(organization=org_b, actor=None, url="http://127.0.0.1:9/b",
                                 event_types=["contact.updated"], active=False)
    seen = []

    def render(org):
        seen.append(org.slug)
        if org == org_c:
            return None  # charlie may not see this contact
        return {"contact": {"id": "c1", "email": "x@example.org" if org == org_a else "x***@example.org"}}

    count = emit(event_type="contact.updated", audience=[org_a, org_b, org_c], render=render)
    assert count == 2 and sorted(seen) == ["alpha", "bravo", "charlie"]
    messages = {m.organization.slug: m for m in WebhookMessage.objects.select_related("organization")}
    assert set(messages) == {"alpha", "bravo"}
    assert messages["bravo"].payload["contact"]["email"] == "x***@example.org"
    assert not WebhookDelivery.objects.filter(endpoint=inactive).exists()
    assert messages["bravo"].id > messages["alpha"].id  # the sequence receivers use to drop stale events
    assert emit(event_type="consent.changed", audience=[org_a], render=render) == 0, "nobody subscribed"
    with pytest.raises(ValueError):
        emit(event_type="contact.exploded", audience=org_a, render=render)


@pytest.mark.django_db
def test_coalition_subscribers_are_the_coalitions_active_subscribers_from_the_moment_they_subscribe(
        make_org, org_a, org_b):
    from organizations.models import Coalition, Organization
    from webhooks.services import coalition_subscribers, subscribers

    elsewhere = Organization.objects.create(coalition=Coalition.objects.create(name="Other", slug="other"),
                                            slug="zulu", name="Zulu", short_name="z")
    webhook_create(organization=elsewhere, actor=None, url="http://127.0.0.1:9/z", event_types=["signup.created"])
    coalition = [org_a.coalition_id]
    assert coalition_subscribers(coalition, ["signup.created"]) == []
    webhook_create(organization=org_b, actor=None, url="http://127.0.0.1:9/b", event_types=["signup.created"])
    webhook_create(organization=org_a, actor=None, url="http://127.0.0.1:9/a", event_types=["contact.updated"])
    assert coalition_subscribers(coalition, ["signup.created"]) == [org_b], "counts at once, one coalition only"
    assert coalition_subscribers(coalition, ["signup.created", "contact.updated"]) == [org_a, org_b]
    assert coalition_subscribers(coalition, ["signup.created", "contact.updated"]) == \
        subscribers(Organization.objects.filter(coalition_id=org_a.coalition_id), ["signup.created", "contact.updated"])
    WebhookEndpoint.objects.filter(organization=org_b).update(active=False)
    assert coalition_subscribers(coalition, ["signup.created"]) == []
    assert coalition_subscribers([org_a.coalition_id, elsewhere.coalition_id], ["signup.created"]) == [elsewhere]


@pytest.mark.django_db
def test_inside_a_request_the_subscriptions_are_read_once_and_count_from_the_next_request(
        org_a, org_b, request_signals):
    from webhooks.services import coalition_subscribers

    started, finished = request_signals
    coalition = [org_a.coalition_id]
    started()
    assert coalition_subscribers(coalition, ["signup.created"]) == []
    webhook_create(organization=org_b, actor=None, url="http://127.0.0.1:9/b", event_types=["signup.created"])
    assert coalition_subscribers(coalition, ["signup.created"]) == [], "read once per request"
    finished()
    started()
    assert coalition_subscribers(coalition, ["signup.created"]) == [org_b], "the next request sees it"
    assert coalition_subscribers(coalition, ["contact.updated"]) == [], "filtered by event type from the one read"
    finished()


@pytest.mark.django_db
def test_the_emits_of_one_transaction_share_one_wake_up_after_commit(
        org_a, monkeypatch, django_capture_on_commit_callbacks):
    import webhooks.services
    woken = []
    monkeypatch.setattr(webhooks.services, "wake", lambda ids: woken.append(set(ids)))
    endpoints = {webhook_create(organization=org_a, actor=None, url=f"http://127.0.0.1:9/{i}",
                                event_types=["job.finished"])[0].pk for i in range(2)}
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ZeroDivisionError), transaction.atomic():  # the first emit's callback is discarded
            emit_job_finished(org_a)
            1 / 0
        emit_job_finished(org_a, n=3)
        assert woken == [], "nothing is woken before the commit"
    assert len(woken) == 1 and woken[0] >= endpoints


@pytest.fixture
def request_signals():
    """Django's request_started / request_finished as a WSGI server sends them, without their
    close_old_connections (as Django's test client does), which would drop the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield (lambda: request_started.send(sender=None)), (lambda: request_finished.send(sender=None))
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
def test_inside_a_request_the_wake_up_waits_until_the_response_is_sent(
        org_a, monkeypatch, django_capture_on_commit_callbacks, request_signals):
    """The WSGI server sends request_finished after writing the response: the client never waits on Redis."""
    import webhooks.services
    started, finished = request_signals
    woken = []
    monkeypatch.setattr(webhooks.services, "wake", lambda ids: woken.append(set(ids)))
    endpoint, _ = webhook_create(organization=org_a, actor=None, url="http://127.0.0.1:9/",
                                 event_types=["job.finished"])
    started()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        emit_job_finished(org_a)
        1 / 0
    finished()
    assert woken == [], "a request whose emits all rolled back wakes nothing"

    started()
    with django_capture_on_commit_callbacks(execute=True):
        emit_job_finished(org_a)
    assert woken == [], "committed, but the response is not sent yet"
    finished()
    assert woken == [{endpoint.pk}]
    with django_capture_on_commit_callbacks(execute=True):
        emit_job_finished(org_a)  # outside a request (an rq job): at commit
    assert woken == [{endpoint.pk}, {endpoint.pk}]


def test_rotation_signs_with_both_secrets_during_the_grace_period():
    endpoint = WebhookEndpoint(secret=Webhook_secret(), previous_secret=Webhook_secret(),
                               previous_secret_expires_at=timezone.now() + timedelta(hours=1))
    body, now = '{"a":1}', timezone.now()
    headers = signature_headers(endpoint, "msg_1", body, now)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint.secret, endpoint.previous_secret):
        assert Webhook(secret).verify(body, headers) == {"a": 1}
    endpoint.previous_secret_expires_at = now - timedelta(seconds=1)
    headers = signature_headers(endpoint, "msg_1", body, now)
    Webhook(endpoint.secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.previous_secret).verify(body, headers)


def Webhook_secret():
    from webhooks.services import new_secret
    return new_secret()


# --- delivery by real workers -------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_contact_write_is_delivered_by_the_notifier_job_and_a_drain(org_a, receiver):
    hook = receiver()
    client = client_for(org_a)
    created = subscribe(client, hook.url, ("contact.created",))
    contact = client.post("/api/v1/contacts/", {"given_name": "Ana", "external_id": "A-1"}, format="json").json()
    assert not WebhookMessage.objects.exists(), "the request only marks its change row and queues the notifier"
    # the notifier's job (queue high) emits, then queues the drain (queue webhooks)
    drain_webhooks(until=lambda: len(hook.requests) == 1, queues=("high", "webhooks"))
    payload = Webhook(created["secret"]).verify(hook.requests[0]["body"], hook.requests[0]["headers"])
    assert payload["type"] == "contact.created"
    assert payload["data"]["contact"]["id"] == contact["contact"]["id"]
    assert payload["data"]["contact"]["external_id"] == "A-1"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_finished_job_is_delivered_signed_and_logged(org_a, receiver):
    hook = receiver()
    client = client_for(org_a)
    created = subscribe(client, hook.url)
    job_id = client.post(EXPORT).json()["id"]
    assert not WebhookDelivery.objects.exists(), "nothing is emitted before the job finishes"
    drain_webhooks(until=lambda: len(hook.requests) == 1, queues=("default", "webhooks"))
    request = hook.requests[0]
    payload = Webhook(created["secret"]).verify(request["body"], request["headers"])
    assert payload["type"] == "job.finished" and payload["organization"] == "alpha"
    assert payload["data"]["job"]["id"] == job_id and payload["data"]["job"]["status"] == "finished"
    assert payload["id"] == request["headers"]["webhook-id"] and payload["id"].startswith("msg_")
    assert isinstance(payload["sequence"], int) and payload["data"]["job"]["modified_at"]
    log = client.get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()["results"]
    assert len(log) == 1 and log[0]["status"] == "succeeded" and log[0]["message_id"] == payload["id"]
    assert log[0]["attempt_log"][0]["status_code"] == 200 and log[0]["attempt_log"][0]["duration_ms"] >= 0
    # manual redelivery: the same message id again, so the receiver can de-duplicate
    redelivered = client.post(f"/api/v1/webhooks/{created['id']}/deliveries/{log[0]['id']}/redeliver/")
    assert redelivered.status_code == 202
    drain_webhooks(until=lambda: len(hook.requests) == 2)
    assert hook.requests[1]["headers"]["webhook-id"] == payload["id"]
    assert hook.requests[1]["body"] == request["body"]
    assert WebhookDelivery.objects.get().attempts == 2
    assert AuditEvent.objects.filter(verb="webhook.redelivery_requested").count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_failures_are_retried_with_growing_backoff_and_the_same_message_id(org_a, receiver):
    hook = receiver(statuses=[500, 503])
    created = subscribe(client_for(org_a), hook.url)
    emit_job_finished(org_a, n=3)
    drain_webhooks(until=lambda: not WebhookDelivery.objects.exclude(status="succeeded").exists(),
                   WEBHOOKS_RETRY_BASE_SECONDS=0.3)
    ids = [r["headers"]["webhook-id"] for r in hook.requests]
    assert len(hook.requests) == 5 and ids[0] == ids[1] == ids[2], ids
    assert [p["sequence"] for p in hook.payloads()[2:]] == sorted(p["sequence"] for p in hook.payloads()[2:])
    first = WebhookDelivery.objects.order_by("message_id").first()
    attempts = list(first.attempt_log.order_by("number"))
    assert [a.status_code for a in attempts] == [500, 503, 200]
    assert [a.error for a in attempts] == ["HTTP 500", "HTTP 503", ""]
    waits = [(a.next_attempt_at - a.created_at).total_seconds() for a in attempts[:2]]
    assert 0.2 <= waits[0] < waits[1] <= 0.8, waits  # base 0.3 s, doubled, ±20% jitter
    assert (attempts[1].created_at - attempts[0].created_at).total_seconds() >= waits[0]
    assert attempts[2].next_attempt_at is None
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert endpoint.consecutive_failures == 0 and endpoint.active
    for request in hook.requests:
        Webhook(created["secret"]).verify(request["body"], request["headers"])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_endpoint_that_keeps_failing_is_disabled_with_a_notice_and_an_audit_event(org_a, receiver):
    hook = receiver(default=500)
    client = client_for(org_a)
    created = subscribe(client, hook.url)
    emit_job_finished(org_a, n=2)
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    drain_webhooks(until=lambda: not WebhookEndpoint.objects.get(pk=endpoint.pk).active,
                   WEBHOOKS_RETRY_BASE_SECONDS=0.2, WEBHOOKS_DISABLE_AFTER_FAILURES=3)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 3 and "3 consecutive" in endpoint.disabled_reason
    assert len(hook.requests) == 3
    last = WebhookAttempt.objects.order_by("-created_at").first()
    assert "Disabled after 3" in last.notice and last.next_attempt_at is None
    assert client.get(f"/api/v1/webhooks/{endpoint.pk}/").json()["active"] is False
    event = AuditEvent.objects.get(verb="webhook.disabled")
    assert event.object_id == str(endpoint.pk) and event.actor_label == "system"
    drain_webhooks(WEBHOOKS_RETRY_BASE_SECONDS=0.2)
    assert len(hook.requests) == 3, "a disabled endpoint gets nothing"
    # re-activating it delivers the backlog
    hook.default = 200
    assert client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"active": True}, format="json").status_code == 200
    drain_webhooks(until=lambda: not WebhookDelivery.objects.filter(status="pending").exists())
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_targets_are_checked_again_at_delivery(org_a, receiver):
    hook = receiver()
    webhook_create(organization=org_a, actor=None, url=hook.url.replace("127.0.0.1", "localhost"),
                   event_types=["job.finished"])
    # a row whose target became link-local (as a DNS change would make it): stored directly, past the check
    WebhookEndpoint.objects.create(organization=org_a, url="http://169.254.169.254/latest/meta-data/",
                                   event_types=["job.finished"], secret=Webhook_secret())
    emit_job_finished(org_a)
    drain_webhooks(until=lambda: WebhookAttempt.objects.count() == 2, WEBHOOKS_ALLOW_PRIVATE_TARGETS=0)
    errors = sorted(WebhookAttempt.objects.values_list("error", flat=True))
    assert errors[0].startswith("refused: 127.0.0.1 is a loopback address"), errors
    assert errors[1].startswith("refused: 169.254.169.254 is a link-local address"), errors
    assert hook.requests == [], "nothing reached the loopback receiver"
    assert not WebhookDelivery.objects.filter(status="succeeded").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_rotation_grace_real_delivery_verifies_with_old_and_new_secret(org_a, receiver):
    hook = receiver()
    client = client_for(org_a)
    created = subscribe(client, hook.url)
    new = client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/").json()["secret"]
    emit_job_finished(org_a)
    drain_webhooks(until=lambda: len(hook.requests) == 1)
    request = hook.requests[0]
    assert Webhook(created["secret"]).verify(request["body"], request["headers"])
    assert Webhook(new).verify(request["body"], request["headers"])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_slow_receiver_does_not_hold_up_another_organizations_deliveries(org_a, org_b, receiver):
    slow, fast = receiver(delay=3), receiver()
    subscribe(client_for(org_a), slow.url)
    subscribe(client_for(org_b), fast.url)
    emit_job_finished(org_a, n=2)
    emit_job_finished(org_b, n=5)
    # emitting did no HTTP: everything waits for the workers
    assert WebhookDelivery.objects.filter(status="pending").count() == 7 and not slow.requests
    drain_webhooks(until=lambda: len(fast.requests) == 5 and len(slow.requests) == 1,
                   WEBHOOKS_TIMEOUT_SECONDS=1, WEBHOOKS_RETRY_BASE_SECONDS=30)
    slow_delivery = WebhookAttempt.objects.filter(delivery__endpoint__organization=org_a).get()
    assert "timed out" in slow_delivery.error.lower(), slow_delivery.error
    assert WebhookDelivery.objects.filter(organization=org_b, status="succeeded").count() == 5
    endpoint = WebhookEndpoint.objects.get(organization=org_a)
    assert endpoint.paused_until > timezone.now(), "the slow endpoint backs off instead of holding a worker"


@pytest.mark.django_db
def test_another_organizations_deliveries_are_invisible(org_a, org_b):
    endpoint, _ = webhook_create(organization=org_a, actor=None, url="http://127.0.0.1:9/", event_types=["job.finished"])
    emit_job_finished(org_a)
    delivery = WebhookDelivery.objects.get()
    intruder = client_for(org_b)
    assert intruder.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").status_code == 404
    assert intruder.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/").status_code == 404
    assert intruder.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/").status_code == 404
    assert intruder.get("/api/v1/webhook-deliveries/").json()["results"] == []
    assert client_for(org_a).get(f"/api/v1/webhook-deliveries/?webhook={endpoint.pk}").json()["results"][0]["id"] \
        == str(delivery.pk)
    assert client_for(org_a, scopes=["jobs:read"]).get("/api/v1/webhooks/").status_code == 403


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_deliveries_survive_a_redis_outage_at_emit_time(org_a, receiver, monkeypatch):
    from django.core.management import call_command

    import webhooks.services
    hook = receiver()
    subscribe(client_for(org_a), hook.url)

    def redis_down():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(webhooks.services, "redis_connection", redis_down)
    emit_job_finished(org_a)  # the write commits; the wake-up is lost (and logged), the rows are kept
    monkeypatch.undo()
    drain_webhooks()
    assert hook.requests == [] and WebhookDelivery.objects.get().status == "pending"
    call_command("webhooks_wake")
    drain_webhooks(until=lambda: len(hook.requests) == 1)
    assert WebhookDelivery.objects.get().status == "succeeded"
