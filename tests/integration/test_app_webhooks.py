"""signup.* and testimony.updated webhooks reach only the organizations the API would show the row to."""
import pytest

from contacts.inputs import PersonInput
from events.services import signup_create, signup_set_status
from tests.events.builders import make_event
from tests.testimony import builders as testimony_builders
from testimony import services as testimony_services
from webhooks.models import WebhookMessage
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db


def _subscribe(*orgs, types):
    for org in orgs:
        webhook_create(organization=org, url="http://127.0.0.1:9/in", actor=None, event_types=types)


def _payloads(org, event_type):
    return [m.payload for m in WebhookMessage.objects.filter(organization=org, event_type=event_type)
            .order_by("id")]


def _person(given, email):
    serializer = PersonInput(data={"given_name": given, "emails": [{"address": email}]})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def test_signup_webhooks_follow_co_host_sharing(org_a, org_b, make_org):
    org_c = make_org("charlie")
    event = make_event(org_a, co_hosts=[(org_b, "totals"), (org_c, "all")])
    _subscribe(org_a, org_b, org_c, types=["signup.created", "signup.updated"])
    signup = signup_create(event=event, organization=org_a, person=_person("Ana", "ana@example.org")).signup
    signup_set_status(signup=signup, status="cancelled")

    assert [p["signup"]["id"] for p in _payloads(org_a, "signup.created")] == [str(signup.pk)]
    assert [p["signup"]["status"] for p in _payloads(org_c, "signup.updated")] == ["cancelled"]
    assert _payloads(org_b, "signup.created") == _payloads(org_b, "signup.updated") == [], \
        "a `totals` co-host sees counts, never people"


def test_testimony_webhooks_reach_only_the_recruiting_organization(org_a, org_b):
    hearing = testimony_builders.hearing(org_a, visibility="coalition")
    _subscribe(org_a, org_b, types=["testimony.updated"])
    testimony = testimony_builders.witness(hearing, org_b)
    testimony_services.testimony_transition(testimony=testimony, to="drafting")
    statuses = [p["testimony"]["status"] for p in _payloads(org_b, "testimony.updated")]
    assert statuses[-1] == "drafting"
    assert _payloads(org_a, "testimony.updated") == [], "the host sees other members' witnesses as counts only"
