import pytest
from django.test import Client
from icalendar import Calendar

from .builders import make_event


@pytest.mark.django_db
def test_public_listing_shows_published_public_events_of_the_org_without_private_fields(org_a, org_b, make_org):
    org_c = make_org("charlie")
    shown = make_event(org_a, visibility="public", title="Public rally", address_registrants_only=True,
                       virtual_url="https://meet.example.org/secret", co_hosts=[(org_b, "recruited")],
                       shifts=[("marshal", 0, 1, 5)])
    shown.shifts.update(instructions="Gate code 4411")
    co_hosted = make_event(org_c, visibility="public", title="Co-hosted", co_hosts=[(org_a, "totals")],
                           line1="1 Main St", latitude=41.5, longitude=-72.9)
    make_event(org_a, visibility="coalition", title="Coalition only")
    make_event(org_a, visibility="public", status="draft", title="Draft")
    make_event(org_b, visibility="public", title="Someone else's")
    response = Client().get("/api/public/events/?org=alpha")
    assert response.status_code == 200
    events = {e["title"]: e for e in response.json()["results"]}
    assert set(events) == {"Public rally", "Co-hosted"}
    rally = events["Public rally"]
    body = response.content.decode()
    for secret in ("meet.example.org", "Gate code", "210 Capitol Ave", "recruited", "41.764"):
        assert secret not in body, secret
    assert rally["location"]["city"] == "Hartford" and rally["co_hosts"] == ["bravo"]
    assert rally["shifts"][0]["role"] == "marshal" and "instructions" not in rally["shifts"][0]
    assert Client().get("/api/public/events/").status_code == 400
    assert Client().get("/api/public/events/?org=nobody").status_code == 404
    assert Client().get(f"/api/public/events/{shown.pk}/").json()["title"] == "Public rally"
    assert co_hosted


@pytest.mark.django_db
def test_icalendar_feeds_parse_and_carry_the_events(org_a):
    rally = make_event(org_a, visibility="public", title="Rally at the Capitol",
                       description="<p>Bring <b>signs</b></p>", accessibility_notes="Step-free entrance on Trinity St")
    make_event(org_a, visibility="public", title="Phone bank", days=9, is_virtual=True,
               virtual_url="https://meet.example.org/x")
    private = make_event(org_a, visibility="private", title="Board")
    one = Client().get(f"/api/public/events/{rally.pk}/calendar.ics")
    assert one.status_code == 200 and one["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(one.content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Rally at the Capitol"
    assert vevent.decoded("DTSTART") == rally.starts_at
    assert str(vevent.decoded("DTSTART").tzinfo) == "America/New_York"
    assert calendar.walk("VTIMEZONE"), "the time zone travels with the feed"
    assert "210 Capitol Ave" in str(vevent["LOCATION"])
    assert "Bring signs" in str(vevent["DESCRIPTION"]) and "<b>" not in str(vevent["DESCRIPTION"])
    assert "Step-free" in str(vevent["DESCRIPTION"])

    feed = Calendar.from_ical(Client().get("/api/public/events/calendar.ics?org=alpha").content)
    titles = [str(e["SUMMARY"]) for e in feed.walk("VEVENT")]
    assert titles == ["Rally at the Capitol", "Phone bank"]
    assert b"meet.example.org" not in Client().get("/api/public/events/calendar.ics?org=alpha").content
    assert Client().get(f"/api/public/events/{private.pk}/calendar.ics").status_code == 404
