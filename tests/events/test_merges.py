import pytest

from contacts.merging import contacts_merge, registered
from events.models import Signup
from events.services import reliability, signup_create
from messaging.models import Message
from tests.messaging.people import make_person

from .builders import make_event


def test_signups_and_messages_are_registered_with_contact_merges():
    labels = set(registered())
    assert {"events.signup.contact", "messaging.message.contact"} <= labels


@pytest.mark.django_db
def test_a_merge_moves_signups_keeps_twins_and_reliability_counts_both(org_a):
    rally = make_event(org_a, shifts=[("marshal", 0, 1, 10)])
    meeting = make_event(org_a, days=9, title="Meeting", kind="meeting")
    shift = rally.shifts.get()
    maria = make_person(org_a, "Maria", "Santos", email="maria@example.org")
    twin = make_person(org_a, "Maria", "Santos", email="m.santos@example.org")
    signup_create(event=rally, organization=org_a, contact=maria, shift=shift)
    kept = signup_create(event=rally, organization=org_a, contact=twin, shift=shift).signup
    moved = signup_create(event=meeting, organization=org_a, contact=twin).signup
    Message.objects.create(organization=org_a, contact=twin, channel="email", kind="t", dedupe_key="t1", body="x")
    contacts_merge(organization=org_a, survivor=maria, merged=twin)
    assert Signup.objects.get(pk=moved.pk).contact_id == maria.pk
    assert Signup.objects.get(pk=kept.pk).contact_id == twin.pk, "the twin on the same shift stays (no duplicate)"
    assert Message.objects.get(dedupe_key="t1").contact_id == maria.pk
    Signup.objects.filter(pk__in=[kept.pk, moved.pk]).update(status="attended")
    assert reliability(maria) == {"contact": str(maria.pk), "attended": 2, "committed": 2, "reliability": 1.0}
