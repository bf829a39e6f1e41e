"""Idempotency-Key on writes: sequential replays in-process, concurrent replays against a real gunicorn."""
import json
import threading
import time
import uuid
from datetime import timedelta

import psycopg2
import pytest
import requests
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from api.models import IdempotencyRecord
from api.viewsets import IdempotentMixin
from jobs.models import Job
from organizations.services import api_key_create
from config.serving import start_gunicorn, stop_gunicorn
from tests.support import client_for, database_url, free_port, subprocess_env

EXPORT = "/api/v1/audit-events/export/"


def post(client, url, body=None, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers, **extra)


@pytest.mark.django_db
def test_a_replay_returns_the_first_response_without_doing_the_work_again(org_a):
    client = client_for(org_a)
    first = post(client, EXPORT, {"since": "2024-01-01T00:00:00Z"}, key="k-1")
    assert first.status_code == 202 and "Idempotent-Replayed" not in first
    # same body with other spacing and key order is the same request
    again = client.post(EXPORT, data='{ "since" :"2024-01-01T00:00:00Z" }', content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 202
    assert again.content == first.content and again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert Job.objects.filter(organization=org_a).count() == 1
    # without a key, every request is new work
    assert post(client, EXPORT).status_code == 202
    assert Job.objects.filter(organization=org_a).count() == 2


@pytest.mark.django_db
def test_another_body_or_endpoint_under_the_same_key_is_a_422(org_a):
    client = client_for(org_a)
    assert post(client, EXPORT, {"since": "2024-01-01T00:00:00Z"}, key="k-2").status_code == 202
    other_body = post(client, EXPORT, {"since": "2025-01-01T00:00:00Z"}, key="k-2")
    assert other_body.status_code == 422
    error = other_body.json()["error"]
    assert error["code"] == "idempotency_key_reused" and "body" in error["message"]
    assert "Idempotency-Key" in error["fields"]
    other_endpoint = post(client, "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/", "event_types": ["job.finished"]},
                          key="k-2")
    assert other_endpoint.status_code == 422
    assert EXPORT in other_endpoint.json()["error"]["message"]
    assert Job.objects.count() == 1 and not org_a.webhook_endpoints.exists()


@pytest.mark.django_db
def test_keys_are_scoped_to_the_organization(org_a, org_b):
    a, b = client_for(org_a), client_for(org_b)
    first_a, first_b = post(a, EXPORT, key="shared"), post(b, EXPORT, key="shared")
    assert first_a.status_code == first_b.status_code == 202
    assert first_a.json()["id"] != first_b.json()["id"]
    assert "Idempotent-Replayed" not in first_b


@pytest.mark.django_db
def test_key_length_is_checked(org_a):
    client = client_for(org_a)
    too_long = post(client, EXPORT, key="x" * 256)
    assert too_long.status_code == 400
    assert too_long.json()["error"]["fields"] == {"Idempotency-Key": [too_long.json()["error"]["message"]]}
    assert post(client, EXPORT, key="   ").status_code == 400
    assert not Job.objects.exists() and not IdempotencyRecord.objects.exists()
    assert post(client, EXPORT, key="x" * 255).status_code == 202


@pytest.mark.django_db
def test_a_request_that_failed_with_a_5xx_can_be_retried(org_a, monkeypatch):
    import api.views
    from jobs.services import job_enqueue as real_enqueue

    def enqueue_then_crash(**kwargs):
        real_enqueue(**kwargs)  # the work is done, then the request crashes: it must be rolled back
        raise RuntimeError("database went away")

    client = client_for(org_a)
    client.raise_request_exception = False
    monkeypatch.setattr(api.views, "job_enqueue", enqueue_then_crash)
    assert post(client, EXPORT, key="k-5xx").status_code == 500
    assert not Job.objects.exists() and not IdempotencyRecord.objects.exists()
    monkeypatch.setattr(api.views, "job_enqueue", real_enqueue)
    retry = post(client, EXPORT, key="k-5xx")
    assert retry.status_code == 202 and "Idempotent-Replayed" not in retry
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_in_progress_is_a_409_and_a_dead_request_can_be_retried(org_a):
    client = client_for(org_a)
    from api.idempotency import body_fingerprint
    now = timezone.now()
    record = IdempotencyRecord.objects.create(
        organization=org_a, key="k-run", method="POST", path=EXPORT, body_hash=body_fingerprint(b"{}"),
        locked_until=now + timedelta(seconds=60), expires_at=now + timedelta(days=1))
    busy = post(client, EXPORT, key="k-run")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "idempotency_key_in_progress"
    assert not Job.objects.exists()
    # the first request died (its lease ran out): a retry runs the request
    IdempotencyRecord.objects.filter(pk=record.pk).update(locked_until=now - timedelta(seconds=1))
    retry = post(client, EXPORT, key="k-run")
    assert retry.status_code == 202 and Job.objects.count() == 1
    assert post(client, EXPORT, key="k-run")["Idempotent-Replayed"] == "true"
    # after the retention period a key is new again
    IdempotencyRecord.objects.filter(pk=record.pk).update(expires_at=now - timedelta(seconds=1))
    assert "Idempotent-Replayed" not in post(client, EXPORT, key="k-run")
    assert Job.objects.count() == 2


@pytest.mark.django_db
def test_a_request_whose_lease_was_taken_over_cannot_commit_its_work(org_a):
    from django.test import RequestFactory
    from rest_framework.request import Request

    from api import idempotency
    from organizations.errors import Conflict

    def request():
        return Request(RequestFactory().post(EXPORT, data="{}", content_type="application/json",
                                             HTTP_IDEMPOTENCY_KEY="k-slow"))

    slow = idempotency.begin(request(), org_a)
    IdempotencyRecord.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    retry = idempotency.begin(request(), org_a)
    assert isinstance(retry, idempotency.Claim)

    def slow_work():
        Job.objects.create(organization=org_a, kind="audit.export")
        from django.http import HttpResponse
        return HttpResponse(status=202)

    with pytest.raises(Conflict):
        slow.run(slow_work)
    assert not Job.objects.exists(), "the slow request's work was rolled back"
    assert retry.run(slow_work).status_code == 202
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_reads_ignore_the_header(org_a):
    response = client_for(org_a).get("/api/v1/jobs/", HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 200 and not IdempotencyRecord.objects.exists()


def _views(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_api_view_honours_idempotency_keys():
    """A new endpoint (bulk ones included) gets Idempotency-Key by building on api.viewsets."""
    checked = 0
    for route, callback in _views(get_resolver()):
        if not route.startswith("api/v1/"):
            continue
        cls = getattr(callback, "cls", None)
        assert cls is not None and issubclass(cls, IdempotentMixin), f"{route} must build on api.viewsets"
        checked += 1
    assert checked >= 5


# --- concurrent replays against a real server process ---------------------------------------------------

@pytest.fixture
def server(org_a):
    port = free_port()
    process = start_gunicorn(port, env=subprocess_env(), workers=2, threads=8)
    try:
        _, plain = api_key_create(organization=org_a, name="concurrency")
        yield f"http://127.0.0.1:{port}", {"Authorization": f"Token {plain}", "Content-Type": "application/json"}
    finally:
        stop_gunicorn(process)


def _fire(n, send):
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        barrier.wait()
        results[i] = send()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_do_the_work_exactly_once(org_a, server):
    base, headers = server
    rounds, threads = 5, 12
    conflicts = replays = 0
    for round_ in range(rounds):
        key = {"Idempotency-Key": f"burst-{round_}-{uuid.uuid4()}"}
        answers = _fire(threads, lambda: requests.post(f"{base}{EXPORT}", data="{}", headers={**headers, **key},
                                                       timeout=30))
        statuses = sorted(a.status_code for a in answers)
        assert set(statuses) <= {202, 409}, statuses
        originals = [a for a in answers if a.status_code == 202 and "Idempotent-Replayed" not in a.headers]
        assert len(originals) == 1, statuses
        job_id = originals[0].json()["id"]
        assert all(a.json()["id"] == job_id for a in answers if a.status_code == 202)
        conflicts += statuses.count(409)
        replays += sum(1 for a in answers if a.headers.get("Idempotent-Replayed") == "true")
    assert Job.objects.filter(organization=org_a).count() == rounds
    assert conflicts + replays == rounds * (threads - 1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_replays_while_the_first_request_runs_get_409_then_the_first_response(org_a, server):
    base, headers = server
    key = {"Idempotency-Key": "held"}
    blocker = psycopg2.connect(database_url())
    try:
        with blocker.cursor() as cursor:  # the first request will wait on this lock inside its work
            cursor.execute("LOCK TABLE jobs_job IN SHARE ROW EXCLUSIVE MODE")
        first = {}
        thread = threading.Thread(target=lambda: first.update(response=requests.post(
            f"{base}{EXPORT}", data="{}", headers={**headers, **key}, timeout=60)))
        thread.start()
        for _ in range(100):
            if IdempotencyRecord.objects.filter(key="held").exists():
                break
            time.sleep(0.05)
        replays = _fire(8, lambda: requests.post(f"{base}{EXPORT}", data="{}", headers={**headers, **key},
                                                 timeout=30))
        assert [r.status_code for r in replays] == [409] * 8
        assert replays[0].json()["error"]["code"] == "idempotency_key_in_progress"
    finally:
        blocker.rollback()
        blocker.close()
    thread.join(60)
    assert first["response"].status_code == 202
    replay = requests.post(f"{base}{EXPORT}", data="{}", headers={**headers, **key}, timeout=30)
    assert replay.status_code == 202 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first["response"].json()
    assert Job.objects.filter(organization=org_a).count() == 1


@pytest.mark.django_db
def test_patch_and_delete_replay_too(org_a):
    from organizations.models import AuditEvent
    client = client_for(org_a)
    hook = post(client, "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/", "event_types": ["job.finished"]},
                key="create-1")
    assert hook.status_code == 201
    replayed = post(client, "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/", "event_types": ["job.finished"]},
                    key="create-1")
    assert replayed.json()["secret"] == hook.json()["secret"] and org_a.webhook_endpoints.count() == 1
    url = f"/api/v1/webhooks/{hook.json()['id']}/"
    for _ in range(2):
        patched = client.patch(url, data=json.dumps({"description": "CRM"}), content_type="application/json",
                               HTTP_IDEMPOTENCY_KEY="patch-1")
        assert patched.status_code == 200
    for _ in range(2):
        deleted = client.delete(url, HTTP_IDEMPOTENCY_KEY="delete-1")
        assert deleted.status_code == 204, deleted.content  # the replay is the first 204, not a 404
    assert deleted["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(verb="webhook.updated").count() == 1
    assert AuditEvent.objects.filter(verb="webhook.deleted").count() == 1
