"""OSDI events and attendances over the events app: visibility, masking, the record-attendance helper and its
rules (capacity -> waitlist, closed events), and isolation."""
import pytest

from contacts.models import Contact
from events.models import Signup
from tests.events.builders import make_event

from .test_people_api import BASE, an_id, osdi_client, signup

pytestmark = pytest.mark.django_db


@pytest.fixture
def a(org_a):
    return osdi_client(org_a)


@pytest.fixture
def b(org_b):
    return osdi_client(org_b)


def attend(client, event_id, body):
    return client.post(f"{BASE}events/{event_id}/attendances", body, format="json")


def test_events_list_and_record(a, org_a, org_b):
    event = make_event(org_a, capacity=1, address_registrants_only=True)
    make_event(org_b, visibility="private", title="B's private meeting")
    make_event(org_b, status="draft", title="B's draft")
    body = a.get(BASE + "events").json()
    assert body["total_records"] == 1
    record = body["_embedded"]["osdi:events"][0]
    assert an_id(record) == str(event.pk)
    assert record["title"] == "Rally at the Capitol" and record["status"] == "confirmed"
    assert record["start_date"].endswith("Z") and record["created_date"] and record["modified_date"]
    assert record["location"]["locality"] == "Hartford" and record["location"]["address_lines"] == ["210 Capitol Ave"]
    assert record["_links"]["osdi:attendances"]["href"].endswith(f"/events/{event.pk}/attendances")


def test_registrant_only_address_is_masked_for_other_members(b, org_a):
    event = make_event(org_a, address_registrants_only=True)
    record = b.get(f"{BASE}events/{event.pk}").json()
    assert record["location"]["address_lines"] == [] and "location" not in record["location"]
    assert record["location"]["locality"] == "Hartford"


def test_record_attendance_helper_with_a_person_and_with_a_link(a, org_a):
    event = make_event(org_a, capacity=1)
    first = attend(a, event.pk, {"person": {"given_name": "Ana", "email_addresses": [{"address": "ana@x.org"}]}})
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "accepted" and first.json()["coalition_status"] == "registered"
    again = attend(a, event.pk, {"person": {"email_addresses": [{"address": "ana@x.org"}]}})
    assert again.status_code == 200 and an_id(again.json()) == an_id(first.json())
    other = signup(a, {"given_name": "Bo", "email_addresses": [{"address": "bo@x.org"}]}).json()
    link = {"_links": {"osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{an_id(other)}"}}}
    waitlisted = attend(a, event.pk, link)
    assert waitlisted.status_code == 201 and waitlisted.json()["status"] == "tentative"   # full: waitlisted
    assert waitlisted.json()["coalition_status"] == "waitlisted"
    listed = a.get(f"{BASE}events/{event.pk}/attendances", {"per_page": 1}).json()
    assert listed["total_records"] == 2 and listed["total_pages"] == 2
    mine = a.get(f"{BASE}people/{an_id(other)}/attendances").json()["_embedded"]["osdi:attendances"]
    assert [m["_links"]["osdi:event"]["href"].rsplit("/", 1)[1] for m in mine] == [str(event.pk)]
    one = a.get(waitlisted.json()["_links"]["self"]["href"])
    assert one.status_code == 200


@pytest.mark.parametrize("body, status, field", [
    ({}, 400, "_links.osdi:person.href"),
    ({"person": {"email_addresses": [{"address": "nope"}]}}, 400, "person.email_addresses[0].address"),
    ({"person": {"given_name": "X"}, "shift": "zzz"}, 400, "shift"),
])
def test_bad_attendance_bodies(a, org_a, body, status, field):
    event = make_event(org_a)
    response = attend(a, event.pk, body)
    assert response.status_code == status and field in response.json()["error"]["fields"]
    assert Signup.objects.count() == 0 and Contact.objects.count() == 0


def test_closed_event_is_a_409(a, org_a):
    event = make_event(org_a, status="cancelled")
    response = attend(a, event.pk, {"person": {"given_name": "Al", "email_addresses": [{"address": "al@x.org"}]}})
    assert response.status_code == 409 and response.json()["error"]["code"] == "event_not_open"
    assert Signup.objects.count() == 0


def test_isolation(a, b, org_a, org_b):
    private = make_event(org_b, visibility="private")
    assert a.get(f"{BASE}events/{private.pk}").status_code == 404
    assert a.get(f"{BASE}events/{private.pk}/attendances").status_code == 404
    assert attend(a, private.pk, {"person": {"given_name": "X"}}).status_code == 404
    # B's signups for A's event: A is the host and sees them; B's signups for B's own event stay B's
    shared = make_event(org_b)
    b_signup = attend(b, shared.pk, {"person": {"given_name": "Cy", "email_addresses": [{"address": "c@x.org"}]}})
    assert a.get(f"{BASE}events/{shared.pk}/attendances").json()["total_records"] == 0
    assert a.get(b_signup.json()["_links"]["self"]["href"]).status_code == 404
    assert a.get(f"{BASE}events", {"filter": "start_date gt '2000-01-01'"}).json()["total_records"] == 1
    assert a.get(f"{BASE}events", {"filter": "title eq 'x'"}).status_code == 400
    assert osdi_client(org_a, scopes=["contacts:read"]).get(BASE + "events").status_code == 403
