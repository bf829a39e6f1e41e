"""OSDI events and attendances over the events app: visibility, masking, the record-attendance helper and its
rules (capacity -> waitlist, closed events), and isolation."""
import pytest

from contacts.models import Contact
from events.models import Signup
from tests.events.builders import make_event

from .conftest import BASE, an_id, osdi_client, signup

pytestmark = pytest.mark.django_db


def attend(client, event_id, body):
    return client.post(f"{BASE}events/{event_id}/attendances", body, format="json")


def test_events_list_and_record(osdi_a, org_a, org_b):
    event = make_event(org_a, capacity=1, address_registrants_only=True)
    make_event(org_b, visibility="private", title="B's private meeting")
    make_event(org_b, status="draft", title="B's draft")
    body = osdi_a.get(BASE + "events").json()
    assert body["total_records"] == 1
    record = body["_embedded"]["osdi:events"][0]
    assert an_id(record) == str(event.pk)
    assert record["title"] == "Rally at the Capitol" and record["status"] == "confirmed"
    assert record["start_date"].endswith("Z") and record["created_date"] and record["modified_date"]
    assert record["location"]["locality"] == "Hartford" and record["location"]["address_lines"] == ["210 Capitol Ave"]
    assert record["_links"]["osdi:attendances"]["href"].endswith(f"/events/{event.pk}/attendances")


def test_registrant_only_address_is_masked_for_other_members(osdi_b, org_a):
    event = make_event(org_a, address_registrants_only=True)
    record = osdi_b.get(f"{BASE}events/{event.pk}").json()
    assert record["location"]["address_lines"] == [] and "location" not in record["location"]
    assert record["location"]["locality"] == "Hartford"


def test_record_attendance_helper_with_a_person_and_with_a_link(osdi_a, org_a):
    event = make_event(org_a, capacity=1)
    first = attend(osdi_a, event.pk, {"person": {"given_name": "Ana", "email_addresses": [{"address": "ana@x.org"}]}})
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "accepted" and first.json()["coalition_status"] == "registered"
    again = attend(osdi_a, event.pk, {"person": {"email_addresses": [{"address": "ana@x.org"}]}})
    assert again.status_code == 200 and an_id(again.json()) == an_id(first.json())
    other = signup(osdi_a, {"given_name": "Bo", "email_addresses": [{"address": "bo@x.org"}]}).json()
    link = {"_links": {"osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{an_id(other)}"}}}
    waitlisted = attend(osdi_a, event.pk, link)
    assert waitlisted.status_code == 201 and waitlisted.json()["status"] == "tentative"   # full: waitlisted
    assert waitlisted.json()["coalition_status"] == "waitlisted"
    listed = osdi_a.get(f"{BASE}events/{event.pk}/attendances", {"per_page": 1}).json()
    assert listed["total_records"] == 2 and listed["total_pages"] == 2
    mine = osdi_a.get(f"{BASE}people/{an_id(other)}/attendances").json()["_embedded"]["osdi:attendances"]
    assert [m["_links"]["osdi:event"]["href"].rsplit("/", 1)[1] for m in mine] == [str(event.pk)]
    one = osdi_a.get(waitlisted.json()["_links"]["self"]["href"])
    assert one.status_code == 200


@pytest.mark.parametrize("body, status, field", [
    ({}, 400, "_links.osdi:person.href"),
    ({"person": {"email_addresses": [{"address": "nope"}]}}, 400, "person.email_addresses[0].address"),
    ({"person": {"given_name": "X"}, "shift": "zzz"}, 400, "shift"),
])
def test_bad_attendance_bodies(osdi_a, org_a, body, status, field):
    event = make_event(org_a)
    response = attend(osdi_a, event.pk, body)
    assert response.status_code == status and field in response.json()["error"]["fields"]
    assert Signup.objects.count() == 0 and Contact.objects.count() == 0


def test_closed_event_is_a_409(osdi_a, org_a):
    event = make_event(org_a, status="cancelled")
    response = attend(osdi_a, event.pk, {"person": {"given_name": "Al", "email_addresses": [{"address": "al@x.org"}]}})
    assert response.status_code == 409 and response.json()["error"]["code"] == "event_not_open"
    assert Signup.objects.count() == 0


def test_isolation(osdi_a, osdi_b, org_a, org_b):
    private = make_event(org_b, visibility="private")
    assert osdi_a.get(f"{BASE}events/{private.pk}").status_code == 404
    assert osdi_a.get(f"{BASE}events/{private.pk}/attendances").status_code == 404
    assert attend(osdi_a, private.pk, {"person": {"given_name": "X"}}).status_code == 404
    # B's signups for A's event: A is the host and sees them; B's signups for B's own event stay B's
    shared = make_event(org_b)
    b_signup = attend(osdi_b, shared.pk, {"person": {"given_name": "Cy", "email_addresses": [{"address": "c@x.org"}]}})
    assert osdi_a.get(f"{BASE}events/{shared.pk}/attendances").json()["total_records"] == 0
    assert osdi_a.get(b_signup.json()["_links"]["self"]["href"]).status_code == 404
    assert osdi_a.get(f"{BASE}events", {"filter": "start_date gt '2000-01-01'"}).json()["total_records"] == 1
    assert osdi_a.get(f"{BASE}events", {"filter": "title eq 'x'"}).status_code == 400
    assert osdi_client(org_a, scopes=["contacts:read"]).get(BASE + "events").status_code == 403
