"""The audit log endpoint: filters, coalition-wide reading, no secrets, append-only."""
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from organizations.models import AuditEvent
from organizations.services import api_key_create, audit_record
from tests.support import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/audit-events/"


def verbs(response):
    assert response.status_code == 200, response.content
    return sorted(row["verb"] for row in response.json()["results"])


def test_filters_by_verb_actor_object_and_time(org_a):
    client = client_for(org_a)
    other_key, _ = api_key_create(organization=org_a, name="sync tool")
    audit_record(organization=org_a, actor=other_key, verb="contact.merged", object_type="contact", object_id="c1")
    audit_record(organization=org_a, actor=None, verb="contact.erased", object_type="contact", object_id="c2")
    old = audit_record(organization=org_a, actor=None, verb="export.done")
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("UPDATE organizations_auditevent SET created_at = %s WHERE id = %s",
                       [timezone.now() - timedelta(days=10), old.pk])

    assert verbs(client.get(URL, {"verb": "contact.merged"})) == ["contact.merged"]
    assert verbs(client.get(URL, {"verb": "contact.merged,export.done"})) == ["contact.merged", "export.done"]
    assert verbs(client.get(URL, {"verb": "contact."})) == ["contact.erased", "contact.merged"]
    assert verbs(client.get(URL, {"actor": other_key.prefix})) == ["contact.merged"]
    assert verbs(client.get(URL, {"object_type": "contact", "object_id": "c2"})) == ["contact.erased"]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert "export.done" not in verbs(client.get(URL, {"since": since}))
    assert verbs(client.get(URL, {"until": since})) == ["export.done"]
    bad = client.get(URL, {"since": "yesterday-ish"})
    assert bad.status_code == 400 and "since" in bad.json()["error"]["fields"]


def test_coalition_admins_read_every_members_log(org_a, org_b):
    audit_record(organization=org_b, actor=None, verb="bravo.thing")
    audit_record(organization=org_a, actor=None, verb="alpha.thing")
    admin = client_for(org_a, scopes=["audit:read", "coalition:admin"])
    everything = admin.get(URL, {"scope": "coalition"}).json()["results"]
    assert {"alpha.thing", "bravo.thing"} <= {row["verb"] for row in everything}
    assert {row["organization"] for row in everything} >= {"alpha", "bravo"}
    assert verbs(admin.get(URL, {"scope": "coalition", "organization": "bravo", "verb": "bravo.thing"})) \
        == ["bravo.thing"]
    assert "bravo.thing" not in verbs(admin.get(URL))  # the default is the caller's own log
    plain = client_for(org_a, scopes=["audit:read"])
    assert plain.get(URL, {"scope": "coalition"}).status_code == 403
    assert client_for(org_b).get(URL, {"scope": "coalition"}).status_code == 403
    assert client_for(org_b).get(URL, {"scope": "galaxy"}).status_code == 400
    assert "alpha.thing" not in verbs(client_for(org_b).get(URL))


def test_keys_and_secrets_never_reach_the_audit_log(org_a):
    client = client_for(org_a)
    _, plain = api_key_create(organization=org_a, name="partner")
    created = client.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/", "event_types": ["job.finished"]},
                          format="json").json()
    rotated = client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret/").json()
    audit_record(organization=org_a, actor=None, verb="careless.caller",
                 details={"secret": "hunter2", "note": f"key was {plain}", "nested": [{"token": "abc"}]})
    dump = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    for secret in (plain, created["secret"], rotated["secret"], "hunter2", "abc\""):
        assert secret not in dump
    careless = AuditEvent.objects.get(verb="careless.caller").details
    assert careless == {"secret": "[redacted]", "note": "key was [redacted]", "nested": [{"token": "[redacted]"}]}


def test_entries_cannot_be_changed_or_deleted_through_the_api(org_a):
    event = audit_record(organization=org_a, actor=None, verb="kept")
    client = client_for(org_a)
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(f"{URL}{event.pk}/", {}, format="json").status_code == 405
    assert AuditEvent.objects.get(pk=event.pk).verb == "kept"
