"""Demo events (DESIGN.md section 9): the rally at the Capitol with shifts, hosted by ConnCAN and co-hosted by the
other members with different sharing modes, plus a virtual phone bank; a few signups from each member's people.
Idempotent: an event that exists (same host and title) is left as it is."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from contacts.inputs import PersonInput
from contacts.models import Contact
from contacts.services import contact_upsert

from .models import Event
from .services import event_create, signup_create

NEW_YORK = ZoneInfo("America/New_York")
SHARING = {"e4e-ct": "all", "faithacts": "recruited", "ccsa": "totals", "ssfp": "recruited"}
FALLBACK_PEOPLE = {  # used only when contacts/demo.py has not seeded supporters
    "conncan": [("Maria", "Santos", "Hartford", "06106"), ("James", "Carter", "Hartford", "06112"),
                ("Aisha", "Brown", "West Hartford", "06119")],
    "e4e-ct": [("Luis", "Rivera", "New Haven", "06511"), ("Grace", "Kim", "New Haven", "06513")],
    "faithacts": [("Denise", "Williams", "Bridgeport", "06604"), ("Samuel", "Johnson", "Bridgeport", "06606")],
    "ccsa": [("Priya", "Patel", "Hartford", "06105")],
    "ssfp": [("Tom", "Nguyen", "New Britain", "06051")],
}


def _local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), NEW_YORK)


def _people(organization, slug, count):
    held = list(Contact.objects.held_by(organization).order_by("created_at")[:count])
    if held:
        return held
    people = []
    for given, family, city, zip_code in FALLBACK_PEOPLE[slug][:count]:
        body = {"given_name": given, "family_name": family,
                "emails": [{"address": f"{given}.{family}@example.org".lower(), "primary": True}],
                "addresses": [{"city": city, "state": "CT", "postal_code": zip_code}],
                "consents": [{"channel": "email", "status": "opt_in", "source": "form",
                              "text": "Keep me posted about the rally."}]}
        serializer = PersonInput(data=body)
        serializer.is_valid(raise_exception=True)
        people.append(contact_upsert(organization=organization, person=serializer.validated_data,
                                     source="demo").contact)
    return people


def seed(context: dict) -> None:
    orgs = context["organizations"]
    conncan = orgs["conncan"]
    day = (timezone.now().astimezone(NEW_YORK) + timedelta(days=21)).date()
    day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday, when the legislature sits
    rally = Event.objects.filter(host=conncan, title="Rally at the Capitol: Fund Every Student Fairly").first()
    if rally is None:
        rally = event_create(organization=conncan, data={
            "kind": "rally", "title": "Rally at the Capitol: Fund Every Student Fairly",
            "description": "<p>Connecticut's districts mainly serving students of color receive <strong>$713 "
                           "million</strong> less than those mainly serving white students. Join the Education "
                           "Justice Now Coalition on the north steps to ask the General Assembly to end "
                           "discrimination in education funding.</p>",
            "starts_at": _local(day, 10), "ends_at": _local(day, 13), "timezone": "America/New_York",
            "venue": "Connecticut State Capitol, north steps", "line1": "210 Capitol Ave", "city": "Hartford",
            "state": "CT", "postal_code": "06106", "latitude": 41.7637, "longitude": -72.6825,
            "accessibility_notes": "Step-free entrance on the Capitol Avenue side; ASL interpretation at the "
                                   "podium; seating for those who need it.",
            "visibility": "public", "status": "published", "capacity": 400, "tags": ["funding", "capitol"],
            "registration_deadline": _local(day - timedelta(days=1), 17),
            "co_hosts": [{"organization": orgs[slug], "sharing": mode} for slug, mode in SHARING.items()],
            "shifts": [
                {"role": "check-in", "starts_at": _local(day, 10), "ends_at": _local(day, 11, 30), "capacity": 6,
                 "instructions": "Tables by the north steps; bring a charged phone for the check-in page."},
                {"role": "marshal", "starts_at": _local(day, 10, 30), "ends_at": _local(day, 13), "capacity": 12,
                 "instructions": "Orange vests at the ConnCAN table; meet the lead marshal at 10:15."},
                {"role": "speaker", "starts_at": _local(day, 11), "ends_at": _local(day, 12), "capacity": 5,
                 "instructions": "Two minutes each; arrive by 10:45 for the running order."},
            ]})
        shifts = {s.role: s for s in rally.shifts.all()}
        roles = ["marshal", "check-in", "speaker"]
        i = 0
        for slug, count in (("conncan", 3), ("e4e-ct", 2), ("faithacts", 2), ("ccsa", 1), ("ssfp", 1)):
            for person in _people(orgs[slug], slug, count):
                signup_create(event=rally, organization=orgs[slug], contact=person,
                              shift=shifts[roles[i % len(roles)]], source="form", notify=False,
                              referrer={"utm_source": slug, "utm_medium": "email", "utm_campaign": "capitol-rally"})
                i += 1
    if not Event.objects.filter(host=orgs["faithacts"], title="Phone bank: call your legislator").exists():
        event_create(organization=orgs["faithacts"], data={
            "kind": "phone_bank", "title": "Phone bank: call your legislator",
            "starts_at": _local(day - timedelta(days=7), 18), "ends_at": _local(day - timedelta(days=7), 20),
            "is_virtual": True, "virtual_url": "https://meet.example.org/ejn-phone-bank",
            "visibility": "coalition", "status": "published", "capacity": 40,
            "co_hosts": [{"organization": conncan, "sharing": "all"}]})
    context["events"] = {"rally": rally}
