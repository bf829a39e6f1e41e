"""Private objects for the router-wide tenancy walk (tests/foundation/test_tenancy_walk.py)."""
from events.services import signup_create
from tests.isolation import private_object
from tests.messaging.people import make_person

from .builders import make_event


@private_object("event")
def _event(organization):
    return make_event(organization, visibility="private", title="Private board meeting").pk


@private_object("shift")
def _shift(organization):
    event = make_event(organization, visibility="private", shifts=[("marshal", 0, 1, 5)])
    return event.shifts.get().pk


@private_object("signup")
def _signup(organization):
    event = make_event(organization, visibility="private")
    person = make_person(organization, "Private", "Person", email="private@example.org")
    return signup_create(event=event, organization=organization, contact=person).signup.pk
