"""Contact changes reach subscribed partners as signed webhooks, masked exactly as the API masks them, emitted by
the notifier job that follows the change feed (contacts.notify)."""
import json

import pytest

from contacts.inputs import PersonInput
from contacts.models import ContactChange, PartnerNotifyCursor
from contacts.notify import notify_due, notify_pending
from contacts.services import contact_upsert
from webhooks.models import WebhookMessage
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db


def _upsert(org, data):
    person = PersonInput(data=data)
    person.is_valid(raise_exception=True)
    return contact_upsert(organization=org, person=person.validated_data)


def _messages(org, event_type):
    notify_pending(org.coalition_id)  # what the queued job does
    return [json.loads(m.payload) if isinstance(m.payload, str) else m.payload
            for m in WebhookMessage.objects.filter(organization=org, event_type=event_type).order_by("created_at")]


def test_contact_webhooks_follow_visibility_and_masks(org_a, org_b):
    for org in (org_a, org_b):
        webhook_create(organization=org, url="http://127.0.0.1:9/in", actor=None,
                        event_types=["contact.created", "contact.updated", "consent.changed"])
    private = _upsert(org_a, {"given_name": "Ana", "emails": [{"address": "ana@example.org"}],
                              "tags": ["a-only"], "notes": "A's private note", "external_id": "A-7"})
    created = _messages(org_a, "contact.created")
    assert [m["contact"]["id"] for m in created] == [str(private.contact.pk)]
    assert created[0]["contact"]["external_id"] == "A-7" and created[0]["contact"]["notes"] == "A's private note"
    assert _messages(org_b, "contact.created") == [], "B may not see a contact only A holds"

    _upsert(org_a, {"external_id": "A-7", "consents": [
        {"channel": "email", "scope": "coalition", "status": "opt_in", "text": "Share my details with the coalition"}]})
    seen_by_b = [m["contact"] for m in _messages(org_b, "contact.updated")]
    assert seen_by_b, "once shared with the coalition, B is told"
    assert all(c["external_id"] is None and c["notes"] == "" and c["tags"] == [] and c["custom_fields"] == {}
               for c in seen_by_b), "never A's private fields"
    assert _messages(org_b, "consent.changed")[0]["consent"]["status"] == "opt_in"


def test_organization_scope_consent_changes_reach_only_their_owner(org_a, org_b):
    for org in (org_a, org_b):
        webhook_create(organization=org, url="http://127.0.0.1:9/in", actor=None, event_types=["consent.changed"])
    _upsert(org_a, {"given_name": "Bo", "external_id": "A-8", "consents": [
        {"channel": "email", "scope": "coalition", "status": "opt_in", "text": "Share with the coalition"},
        {"channel": "sms", "scope": "organization", "status": "opt_out"}]})
    assert sorted(m["consent"]["channel"] for m in _messages(org_a, "consent.changed")) == ["email", "sms"]
    assert [m["consent"]["channel"] for m in _messages(org_b, "consent.changed")] == ["email"]


def test_the_notifier_emits_each_marked_change_once_in_feed_order(org_a, org_b):
    before = _upsert(org_a, {"given_name": "Early", "external_id": "A-0"})  # nobody subscribed yet: not marked
    webhook_create(organization=org_a, url="http://127.0.0.1:9/in", actor=None,
                   event_types=["contact.created", "contact.updated"])
    ana = _upsert(org_a, {"given_name": "Ana", "external_id": "A-1"})
    _upsert(org_a, {"given_name": "Ana María", "external_id": "A-1"})
    assert list(ContactChange.objects.filter(contact_id=before.contact.pk).values_list("notify", flat=True)) == \
        [False]
    assert WebhookMessage.objects.count() == 0, "nothing is emitted on the write's path"
    assert notify_due() == 1, "a coalition with marked changes past its cursor"

    assert notify_pending(org_a.coalition_id) == 2
    assert notify_pending(org_a.coalition_id) == 0, "run twice, emits once"
    messages = list(WebhookMessage.objects.filter(organization=org_a).order_by("id"))
    assert [m.event_type for m in messages] == ["contact.created", "contact.updated"]
    assert {m.payload["contact"]["id"] for m in messages} == {str(ana.contact.pk)}
    assert PartnerNotifyCursor.objects.get(coalition_id=org_a.coalition_id).seq == \
        ContactChange.objects.filter(contact_id=ana.contact.pk).latest("seq").seq
    assert notify_due() == 0
    assert _messages(org_b, "contact.created") == []
