"""Building hearings and witnesses for the testimony tests, through the same services the API uses."""
from datetime import datetime
from zoneinfo import ZoneInfo

from testimony import services
from tests.messaging.people import person_input

NY = ZoneInfo("America/New_York")


def person(given="Ana", family="Lopez", email=None, consents=(), phone=None):
    return person_input(given, family, email=email, phone=phone, consents=consents)


def hearing(organization, starts_at=None, **fields):
    data = {"committee": "Education", "starts_at": starts_at or datetime(2027, 3, 10, 10, 0, tzinfo=NY),
            "registration_url": "https://cga.ct.gov/register", "bills": [
                {"number": "HB 5001", "title": "An Act Concerning Equitable Education Funding"},
                {"number": "SB 1", "title": "An Act Concerning Education"}], **fields}
    return services.hearing_create(organization=organization, data=data)


def witness(hearing_, organization, given="Ana", family="Lopez", email=None, positions=(("HB 5001", "support"),),
            **fields):
    return services.testimony_create(
        hearing=hearing_, organization=organization, person=person(given, family, email or _email(given, family)),
        positions=[{"bill": b, "position": p} for b, p in positions], **fields)


def _email(given, family):
    from contacts.normalize import name_key
    return f"{name_key(given)}.{name_key(family)}@example.org"


CONSENT = "I understand my name and testimony become public and are indexed by search engines."


def ready_to_register(testimony):
    """recruited -> drafting -> draft_received -> reviewed, with public-record consent."""
    services.public_record_consent_record(testimony=testimony, text=CONSENT)
    for to in ("drafting", "draft_received", "reviewed"):
        testimony = services.testimony_transition(testimony=testimony, to=to)
    return testimony
