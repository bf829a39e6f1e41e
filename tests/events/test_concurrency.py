import threading

import pytest
from django.db import connection

from events.models import Signup
from events.services import signup_create
from tests.messaging.people import make_person

from .builders import make_event


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["event", "shift"])
def test_fifty_concurrent_signups_for_ten_places_never_overbook(org_a, where):
    event = make_event(org_a, capacity=10 if where == "event" else None,
                       shifts=[("marshal", 0, 2, 10)] if where == "shift" else ())
    shift = event.shifts.first()
    people = [make_person(org_a, f"Volunteer{i}", "Racer", email=f"racer{i}@example.org") for i in range(50)]
    barrier = threading.Barrier(50)
    errors = []

    def sign_up(person):
        try:
            barrier.wait(timeout=30)
            signup_create(event=event, organization=org_a, contact=person, shift=shift)
        except Exception as exc:  # reported below; a thread's exception would otherwise vanish
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert Signup.objects.filter(event=event, status="registered").count() == 10
    assert Signup.objects.filter(event=event, status="waitlisted").count() == 40
