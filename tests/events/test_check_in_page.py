"""The door page: the no-JavaScript path through Django's test client, and the real thing in headless Chromium."""
from pathlib import Path

import pytest

from events.models import Signup
from events.services import signup_create
from organizations.models import Membership
from tests.messaging.people import make_person
from config.serving import start_gunicorn, stop_gunicorn
from tests.support import PROJECT_DIR, free_port, subprocess_env

from .builders import make_event

ARTIFACTS = PROJECT_DIR / "test-artifacts"


def _door_staff(django_user_model, org, username="door"):
    user = django_user_model.objects.create_user(username, password="door-pass-12345", is_staff=True)
    Membership.objects.create(user=user, organization=org, role="organizer")
    return user


def _event_with_people(org_a, org_b):
    event = make_event(org_a, days=0, hours=4, co_hosts=[(org_b, "totals")], shifts=[("marshal", 0, 2, 10)])
    shift = event.shifts.get()
    people = [make_person(org_a, given, family, email=f"{given.lower()}@example.org")
              for given, family in (("Maria", "Santos"), ("James", "Carter"), ("Aisha", "Brown"))]
    for person in people:
        signup_create(event=event, organization=org_a, contact=person, shift=shift)
    theirs = make_person(org_b, "Bravo", "Recruit", email="recruit@example.org")
    signup_create(event=event, organization=org_b, contact=theirs, shift=shift)
    return event, people


@pytest.mark.django_db
def test_page_needs_a_staff_login_of_host_or_co_host_and_works_without_javascript(
        client, django_user_model, org_a, org_b, make_org):
    event, people = _event_with_people(org_a, org_b)
    url = f"/staff/events/{event.pk}/check-in/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(_door_staff(django_user_model, make_org("outsider"), "outsider"))
    assert client.get(url).status_code == 404
    client.force_login(_door_staff(django_user_model, org_b, "bravo-door"))
    page = client.get(url).content.decode()
    assert "Bravo Recruit" in page and "Maria Santos" not in page, "a totals co-host sees only its own people"
    client.force_login(_door_staff(django_user_model, org_a))
    page = client.get(url + "?q=mar").content.decode()
    assert "Maria Santos" in page and "James Carter" not in page
    maria = Signup.objects.get(contact=people[0])
    done = client.post(url, {"signup": str(maria.pk)})
    assert done.status_code == 302 and "checked+in" in done["Location"]
    assert Signup.objects.get(pk=maria.pk).status == "attended"
    walk_in = client.post(url, {"action": "walk_in", "given_name": "Walk", "family_name": "In",
                                "phone": "860-555-0142"}, follow=True)
    assert "Walk In is checked in." in walk_in.content.decode()
    bad = client.post(url, {"action": "walk_in", "given_name": "", "email": "not-an-email"}, follow=True)
    assert "not a valid email" in bad.content.decode()
    assert Signup.objects.filter(event=event, status="attended").count() == 2


def _chromium():
    from playwright.sync_api import sync_playwright
    return sync_playwright()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_door_staff_check_people_in_with_one_tap_in_headless_chromium(django_user_model, org_a, org_b):
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Chromium is missing: `make browser-deps` installs it (make test does so first)")
    event, people = _event_with_people(org_a, org_b)
    _door_staff(django_user_model, org_a)
    port = free_port()
    server = start_gunicorn(port, env=subprocess_env(DJANGO_DEBUG="0"), workers=1, threads=4)
    base = f"http://127.0.0.1:{port}"
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        with _chromium() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)  # a phone
            page.goto(f"{base}/staff/events/{event.pk}/check-in/")
            page.fill("#id_username", "door")
            page.fill("#id_password", "door-pass-12345")
            page.click("input[type=submit]")
            page.wait_for_selector("ul.people")
            assert page.locator("#attended").inner_text() == "0"
            page.fill("input[name=q]", "carter")
            page.press("input[name=q]", "Enter")
            page.wait_for_url("**?q=carter")
            assert page.locator("ul.people li").count() == 1
            page.click("button[aria-label='Check in James Carter']")  # one tap
            page.wait_for_selector("ul.people li .done")
            assert page.locator("#flash").inner_text() == "James Carter is checked in."
            assert page.locator("#attended").inner_text() == "1"

            page.goto(f"{base}/staff/events/{event.pk}/check-in/")
            page.click("summary")
            page.fill("#given_name", "Dana")
            page.fill("#family_name", "Walker")
            page.fill("#phone", "(860) 555-0177")
            page.click("#walkin button[type=submit]")
            page.wait_for_selector("text=Dana Walker is checked in.")
            assert page.locator("#attended").inner_text() == "2"
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(ARTIFACTS / "check-in-page.png"), full_page=True)
            browser.close()
        # (the ORM is not called inside Playwright's block: its sync API runs an event loop)
        assert Signup.objects.get(contact=people[1]).status == "attended"
        walk_in = Signup.objects.get(event=event, source="walk_in")
        assert str(walk_in.contact) == "Dana Walker" and walk_in.status == "attended"
    finally:
        stop_gunicorn(server)
