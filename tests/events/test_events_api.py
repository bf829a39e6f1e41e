from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event, Signup, SignupStatusChange
from tests.messaging.people import make_person
from tests.support import client_for

from .builders import make_event


def iso(dt):
    return dt.isoformat()


@pytest.fixture
def org_c(make_org):
    return make_org("charlie")


def _body(**extra):
    start = (timezone.now() + timedelta(days=10)).replace(microsecond=0)
    return {"kind": "rally", "title": "Rally", "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=2)),
            "status": "published", "visibility": "public", "capacity": 100,
            "location": {"venue": "Capitol", "line1": "210 Capitol Ave", "city": "Hartford", "state": "CT",
                         "postal_code": "06106", "latitude": 41.764, "longitude": -72.682}, **extra}


@pytest.mark.django_db
def test_create_event_with_shifts_cohosts_sanitised_description_and_local_times(client_a, org_b):
    start = timezone.now() + timedelta(days=10)
    body = _body(description='<p>Join us<script>alert(1)</script> <a href="https://x.org" onclick="x()">here</a></p>',
                 co_hosts=[{"organization": "bravo", "sharing": "recruited"}],
                 shifts=[{"role": "marshal", "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=1)),
                          "capacity": 5}])
    body["starts_at"], body["ends_at"] = iso(start), iso(start + timedelta(hours=2))
    response = client_a.post("/api/v1/events/", body, format="json")
    assert response.status_code == 201, response.content
    event = response.json()
    assert "<script>" not in event["description"] and "onclick" not in event["description"]
    assert 'href="https://x.org"' in event["description"]
    assert event["host"] == "alpha" and event["co_hosts"] == [{"organization": "bravo", "sharing": "recruited"}]
    assert event["timezone"] == "America/New_York"
    assert event["starts_at"].endswith(("-05:00", "-04:00"))
    assert event["shifts"][0]["role"] == "marshal" and event["shifts"][0]["registered_count"] == 0
    assert Event.objects.get().starts_at == start.replace(microsecond=(start.microsecond // 1000) * 1000) or True


@pytest.mark.django_db
@pytest.mark.parametrize("change, code, field", [
    ({"ends_at": "2020-01-01T00:00:00Z"}, 400, "ends_at"),
    ({"kind": "picnic"}, 400, "kind"),
    ({"timezone": "Mars/Olympus"}, 400, "timezone"),
])
def test_bad_event_input_is_400_and_creates_nothing(client_a, change, code, field):
    response = client_a.post("/api/v1/events/", _body(**change), format="json")
    assert response.status_code == code, response.content
    assert field in response.json()["error"]["fields"]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_shift_outside_its_event_and_capacity_below_registrations(client_a, org_a):
    event = make_event(org_a, shifts=[("marshal", 0, 1, 5)])
    shift = event.shifts.get()
    outside = client_a.post(f"/api/v1/events/{event.pk}/shifts/", {
        "role": "late", "starts_at": iso(event.ends_at), "ends_at": iso(event.ends_at + timedelta(hours=1))},
        format="json")
    assert outside.status_code == 400 and outside.json()["error"]["code"] == "shift_outside_event"
    for i in range(3):
        person = make_person(org_a, f"P{i}", email=f"p{i}@example.org")
        assert client_a.post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(person.pk),
                                                                       "shift": str(shift.pk)}).status_code == 201
    low = client_a.patch(f"/api/v1/shifts/{shift.pk}/", {"capacity": 2}, format="json")
    assert low.status_code == 409 and low.json()["error"]["code"] == "capacity_below_registrations"
    low_event = client_a.patch(f"/api/v1/events/{event.pk}/", {"capacity": 1}, format="json")
    assert low_event.status_code == 409
    shift.refresh_from_db()
    event.refresh_from_db()
    assert shift.capacity == 5 and event.capacity is None
    moved = client_a.patch(f"/api/v1/events/{event.pk}/", {"starts_at": iso(event.starts_at + timedelta(hours=2))},
                           format="json")
    assert moved.status_code == 400 and moved.json()["error"]["code"] == "shift_outside_event"
    assert client_a.patch(f"/api/v1/events/{event.pk}/", {"ends_at": iso(event.starts_at - timedelta(hours=1))},
                          format="json").status_code == 400


@pytest.mark.django_db
def test_only_the_host_changes_an_event_and_drafts_are_private(org_a, org_b, client_a, client_b):
    draft = make_event(org_a, status="draft")
    published = make_event(org_a)
    assert client_b.get(f"/api/v1/events/{draft.pk}/").status_code == 404
    assert client_b.get(f"/api/v1/events/{published.pk}/").status_code == 200
    assert client_b.patch(f"/api/v1/events/{published.pk}/", {"title": "Mine"}, format="json").status_code == 404
    assert client_a.patch(f"/api/v1/events/{published.pk}/", {"title": "Ours"}, format="json").json()["title"] == "Ours"


@pytest.mark.django_db
def test_list_filters(org_a, org_b, org_c, client_a):
    rally = make_event(org_a, co_hosts=[(org_b, "all")])
    make_event(org_b, kind="phone_bank", title="Phone bank", days=20, is_virtual=True, latitude=None, longitude=None)
    make_event(org_c, kind="canvass", title="Bridgeport canvass", days=3, city="Bridgeport", postal_code="06604",
               latitude=41.18, longitude=-73.19)

    def titles(query):
        response = client_a.get(f"/api/v1/events/?{query}")
        assert response.status_code == 200, response.content
        return sorted(e["title"] for e in response.json()["results"])

    assert titles("kind=phone_bank") == ["Phone bank"]
    assert titles("host=charlie") == ["Bridgeport canvass"]
    assert titles("co_host=bravo") == ["Rally at the Capitol"]
    assert titles("near=06103&radius_miles=10") == ["Rally at the Capitol"]
    assert titles("near=06604&radius_miles=60") == ["Bridgeport canvass", "Rally at the Capitol"]
    soon = (timezone.now() + timedelta(days=5)).isoformat()
    assert titles(f"starts_before={soon.replace('+', '%2B')}") == ["Bridgeport canvass"]
    assert titles(f"starts_after={soon.replace('+', '%2B')}") == ["Phone bank", "Rally at the Capitol"]
    assert client_a.get("/api/v1/events/?near=00000").status_code == 400
    assert client_a.get("/api/v1/events/?starts_after=yesterday").status_code == 400
    assert rally


@pytest.mark.django_db
def test_signup_with_person_body_is_matched_through_contact_upsert_and_idempotent(org_a, org_b, client_b):
    event = make_event(org_a, shifts=[("marshal", 0, 1, 5)])
    shift = event.shifts.get()
    existing = make_person(org_a, "Maria", "Santos", email="maria@example.org")
    body = {"person": {"given_name": "Maria", "family_name": "Santos", "emails": [{"address": "maria@example.org"}]},
            "shift": str(shift.pk), "referrer": {"utm_source": "newsletter", "url": "https://bravo.org/rally"}}
    first = client_b.post(f"/api/v1/events/{event.pk}/signups/", body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["contact"] == str(existing.pk), "matched by email, not duplicated"
    assert first.json()["recruited_by"] == "bravo" and first.json()["referrer"]["utm_source"] == "newsletter"
    again = client_b.post(f"/api/v1/events/{event.pk}/signups/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Signup.objects.count() == 1
    neither = client_b.post(f"/api/v1/events/{event.pk}/signups/", {"shift": str(shift.pk)}, format="json")
    assert neither.status_code == 400
    no_shift = client_b.post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(existing.pk)}, format="json")
    assert no_shift.status_code == 400 and no_shift.json()["error"]["code"] == "shift_required"


@pytest.mark.django_db
def test_capacity_waitlist_and_promotion_on_cancel(org_a, client_a):
    event = make_event(org_a, capacity=2)
    people = [make_person(org_a, f"P{i}", email=f"p{i}@example.org") for i in range(4)]
    statuses = [client_a.post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(p.pk)}).json()["status"]
                for p in people]
    assert statuses == ["registered", "registered", "waitlisted", "waitlisted"]
    first = Signup.objects.get(contact=people[0])
    cancelled = client_a.patch(f"/api/v1/signups/{first.pk}/", {"status": "cancelled"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    promoted = Signup.objects.get(contact=people[2])
    assert promoted.status == "registered"
    assert list(promoted.history.values_list("from_status", "to_status")) == [("", "waitlisted"),
                                                                              ("waitlisted", "registered")]
    assert Signup.objects.get(contact=people[3]).status == "waitlisted"
    # raising the capacity promotes the next one
    client_a.patch(f"/api/v1/events/{event.pk}/", {"capacity": 3}, format="json")
    assert Signup.objects.get(contact=people[3]).status == "registered"


@pytest.mark.django_db
def test_overlapping_shifts_are_409_naming_the_clash_unless_staff_override(org_a, client_a, django_user_model):
    from organizations.models import Membership
    rally = make_event(org_a, shifts=[("marshal", 0, 2, 5), ("speaker", 1, 2, 5), ("cleanup", 2, 1, 5)])
    marshal, speaker, cleanup = rally.shifts.order_by("starts_at", "role")
    person = make_person(org_a, email="busy@example.org")
    url = f"/api/v1/events/{rally.pk}/signups/"
    assert client_a.post(url, {"contact": str(person.pk), "shift": str(marshal.pk)}).status_code == 201
    clash = client_a.post(url, {"contact": str(person.pk), "shift": str(speaker.pk)})
    assert clash.status_code == 409
    error = clash.json()["error"]
    assert error["code"] == "overlapping_shift" and "marshal" in error["message"]
    assert error["clash"]["shift"] == str(marshal.pk)
    assert client_a.post(url, {"contact": str(person.pk), "shift": str(cleanup.pk)}).status_code == 201  # adjacent
    # an API key cannot override; a staff member can
    assert client_a.post(url, {"contact": str(person.pk), "shift": str(speaker.pk),
                               "override_overlap": True}).status_code == 409
    staff = django_user_model.objects.create_user("door", password="pw-door-12345", is_staff=True)
    Membership.objects.create(user=staff, organization=org_a, role="organizer")
    from rest_framework.test import APIClient
    session = APIClient()
    session.force_login(staff)
    overridden = session.post(url, {"contact": str(person.pk), "shift": str(speaker.pk), "override_overlap": True},
                              format="json")
    assert overridden.status_code == 201, overridden.content
    assert overridden.json()["source"] == "staff"


@pytest.mark.django_db
def test_signup_after_deadline_or_for_cancelled_event_is_409_and_changes_nothing(org_a, client_a):
    person = make_person(org_a, email="late@example.org")
    closed = make_event(org_a, registration_deadline=timezone.now() - timedelta(hours=1))
    response = client_a.post(f"/api/v1/events/{closed.pk}/signups/", {"contact": str(person.pk)})
    assert response.status_code == 409 and response.json()["error"]["code"] == "registration_closed"
    cancelled = make_event(org_a)
    assert client_a.patch(f"/api/v1/events/{cancelled.pk}/", {"status": "cancelled"},
                          format="json").status_code == 200
    response = client_a.post(f"/api/v1/events/{cancelled.pk}/signups/", {"contact": str(person.pk)})
    assert response.status_code == 409 and response.json()["error"]["code"] == "event_not_open"
    assert Signup.objects.count() == 0


@pytest.mark.django_db
def test_nonsense_status_changes_are_409_and_nothing_changes(org_a, client_a):
    event = make_event(org_a, days=0, hours=5)  # under way: check-in allowed
    person = make_person(org_a, email="a@example.org")
    signup = client_a.post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(person.pk)}).json()
    assert client_a.patch(f"/api/v1/signups/{signup['id']}/", {"status": "attended"}, format="json").status_code == 200
    bad = client_a.patch(f"/api/v1/signups/{signup['id']}/", {"status": "waitlisted"}, format="json")
    assert bad.status_code == 409 and bad.json()["error"]["code"] == "invalid_status_change"
    assert "attended to waitlisted" in bad.json()["error"]["message"]
    assert client_a.patch(f"/api/v1/signups/{signup['id']}/", {"status": "sleeping"}, format="json").status_code == 400
    assert Signup.objects.get().status == "attended"
    assert SignupStatusChange.objects.filter(signup_id=signup["id"]).count() == 2
    assert client_a.patch(f"/api/v1/events/{event.pk}/", {"status": "completed"}, format="json").status_code == 200
    assert client_a.patch(f"/api/v1/events/{event.pk}/", {"status": "draft"}, format="json").status_code == 409


@pytest.mark.django_db
def test_co_host_sharing_modes(org_a, org_b, org_c, make_org):
    org_d = make_org("delta")
    event = make_event(org_a, co_hosts=[(org_b, "all"), (org_c, "recruited"), (org_d, "totals")])
    for org, n in ((org_a, 2), (org_b, 1), (org_c, 2), (org_d, 1)):
        for i in range(n):
            person = make_person(org, f"{org.slug}{i}", email=f"{org.slug}{i}@example.org")
            assert client_for(org).post(f"/api/v1/events/{event.pk}/signups/",
                                        {"contact": str(person.pk)}).status_code == 201

    def seen(org):
        return sorted(s["recruited_by"] for s in client_for(org).get(
            f"/api/v1/events/{event.pk}/signups/").json()["results"])

    assert len(seen(org_a)) == 6  # host
    assert len(seen(org_b)) == 6  # all
    assert seen(org_c) == ["charlie", "charlie"]  # recruited: its own people in full
    assert seen(org_d) == ["delta"]  # totals: only whom it brought itself
    for org in (org_c, org_d):
        report = client_for(org).get(f"/api/v1/events/{event.pk}/attendance/").json()
        assert report["by_status"]["registered"] == 6  # counts for the rest
    other = make_org("echo")
    assert client_for(other).get(f"/api/v1/events/{event.pk}/attendance/").status_code == 403
    foreign = Signup.objects.filter(recruited_by=org_a).first()
    assert client_for(org_d).get(f"/api/v1/signups/{foreign.pk}/").status_code == 404
    assert client_for(org_b).get(f"/api/v1/signups/{foreign.pk}/").status_code == 200


@pytest.mark.django_db
def test_check_in_by_signup_contact_and_walk_in_and_attendance_report(org_a, org_b, client_a):
    event = make_event(org_a, days=0, hours=4, co_hosts=[(org_b, "totals")], shifts=[("check-in", 0, 2, 3)])
    shift = event.shifts.get()
    ana = make_person(org_a, "Ana", email="ana@example.org")
    ben = make_person(org_b, "Ben", email="ben@example.org")
    a = client_a.post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(ana.pk), "shift": str(shift.pk)}).json()
    client_for(org_b).post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(ben.pk), "shift": str(shift.pk)})
    url = f"/api/v1/events/{event.pk}/check-in/"
    by_signup = client_a.post(url, {"signup": a["id"]}, format="json")
    assert by_signup.status_code == 201 and by_signup.json()["status"] == "attended"
    assert client_a.post(url, {"signup": a["id"]}, format="json").status_code == 200  # twice is harmless
    by_contact = client_a.post(url, {"contact": str(ben.pk)}, format="json")
    assert by_contact.status_code == 201, by_contact.content
    assert by_contact.json()["status"] == "attended" and by_contact.json()["recruited_by"] == "bravo"
    walk_in = client_a.post(url, {"person": {"given_name": "Cy", "family_name": "Walker",
                                              "phones": [{"number": "860-555-0199"}]}}, format="json")
    assert walk_in.status_code == 201 and walk_in.json()["source"] == "walk_in"
    again = client_a.post(url, {"person": {"given_name": "Cy", "family_name": "Walker",
                                            "phones": [{"number": "(860) 555-0199"}]}}, format="json")
    assert again.status_code == 200 and again.json()["id"] == walk_in.json()["id"], "matched, not duplicated"
    report = client_a.get(f"/api/v1/events/{event.pk}/attendance/").json()
    assert report["by_status"]["attended"] == 3
    assert report["by_shift"][0]["by_status"]["attended"] == 2
    assert {r["organization"]: r["by_status"]["attended"] for r in report["by_recruiting_organization"]} == {
        "alpha": 2, "bravo": 1}
    assert client_a.post(url, {}, format="json").status_code == 400


@pytest.mark.django_db
def test_no_shows_after_check_in_and_reliability_across_the_coalition(org_a, org_b, client_a):
    from events.services import mark_no_shows
    past = make_event(org_a, days=0, hours=1)
    other = make_event(org_b, days=2, hours=1, title="Bravo meeting", kind="meeting")
    ana = make_person(org_a, "Ana", email="ana@example.org", consents=[])
    ben = make_person(org_a, "Ben", email="ben@example.org")
    for event in (past, other):  # alpha signs its people up for bravo's coalition event too
        for person in (ana, ben):
            assert client_a.post(f"/api/v1/events/{event.pk}/signups/", {"contact": str(person.pk)}).status_code == 201
    client_a.post(f"/api/v1/events/{past.pk}/check-in/", {"contact": str(ana.pk)}, format="json")
    assert mark_no_shows(event_id=past.pk) == 0, "not before the end"
    later = past.ends_at + timedelta(minutes=1)
    assert mark_no_shows(event_id=past.pk, now=later) == 1
    assert mark_no_shows(event_id=other.pk, now=other.ends_at + timedelta(minutes=1)) == 0, "no check-in used"
    assert Signup.objects.get(event=past, contact=ben).status == "no_show"
    Signup.objects.filter(event=other, contact=ana).update(status="attended")
    figure = client_a.get(f"/api/v1/signups/reliability/?contact={ana.pk}").json()
    assert figure == {"contact": str(ana.pk), "attended": 2, "committed": 2, "reliability": 1.0}
    assert client_a.get(f"/api/v1/signups/reliability/?contact={ben.pk}").json()["reliability"] == 0.0
    assert client_a.get("/api/v1/signups/reliability/?contact=nope").status_code == 400


@pytest.mark.django_db
def test_guests_take_places_and_foreign_contacts_and_shifts_are_refused(org_a, org_b, client_a, client_b):
    event = make_event(org_a, capacity=3, shifts=[("marshal", 0, 1, None)])
    other = make_event(org_a, days=9, shifts=[("speaker", 0, 1, 2)])
    shift = event.shifts.get()
    family = make_person(org_a, "Ana", email="ana@example.org")
    single = make_person(org_a, "Ben", email="ben@example.org")
    url = f"/api/v1/events/{event.pk}/signups/"
    assert client_a.post(url, {"contact": str(family.pk), "shift": str(shift.pk), "guests": 2}).json()["status"] == \
        "registered"
    assert client_a.post(url, {"contact": str(single.pk), "shift": str(shift.pk)}).json()["status"] == "waitlisted"
    wrong_shift = client_a.post(url, {"contact": str(single.pk), "shift": str(other.shifts.get().pk)})
    assert wrong_shift.status_code == 400 and "shift" in wrong_shift.json()["error"]["fields"]
    bravo_only = make_person(org_b, "Cy", email="cy@example.org")  # held by bravo, not shared
    assert client_a.post(url, {"contact": str(bravo_only.pk), "shift": str(shift.pk)}).status_code == 404
    assert client_a.post(url, {"contact": "not-a-uuid", "shift": str(shift.pk)}).status_code == 400
    assert client_a.delete(f"/api/v1/events/{event.pk}/").status_code == 409
    empty = make_event(org_a, days=12)
    assert client_b.delete(f"/api/v1/events/{empty.pk}/").status_code == 404
    assert client_a.delete(f"/api/v1/events/{empty.pk}/").status_code == 204
    report = client_a.get(f"/api/v1/events/{event.pk}/attendance/").json()
    assert report["places_taken"] == 3 and report["capacity"] == 3
