"""events.models.visible_shift (the signup path's plain-SQL read) must follow Event.objects.visible_to case by
case: host, co-host, other member, member of another coalition; every visibility and status."""
import itertools
import uuid

import pytest

from events.models import Event, EventStatus, Visibility, visible_shift
from organizations.models import Coalition, Organization

from .builders import make_event


@pytest.mark.django_db
def test_visible_shift_follows_visible_to(org_a, org_b, make_org):
    co_host, member = org_b, make_org("charlie")
    other = Coalition.objects.create(name="Other", slug="other")
    outsider = Organization.objects.create(coalition=other, slug="outsider", name="Outsider", short_name="Out")
    cases = []
    for visibility, status in itertools.product(Visibility.values, EventStatus.values):
        event = make_event(org_a, visibility=visibility, status=status, co_hosts=[(co_host, "totals")],
                           shifts=[("marshal", 0, 1, 5)])
        cases.append((event, event.shifts.get()))
    elsewhere = make_event(org_a, shifts=[("greeter", 0, 1, 5)]).shifts.get()
    for organization in (org_a, co_host, member, outsider):
        for event, shift in cases:
            found = visible_shift(organization, event.pk, shift.pk)
            expected = Event.objects.visible_to(organization).filter(pk=event.pk).exists()
            assert (found is not None) == expected, (organization.slug, event.visibility, event.status)
            if found is not None:
                assert (found.pk, found.event) == (shift.pk, event)
                assert [getattr(found.event, f.attname) for f in Event._meta.concrete_fields] == \
                    [getattr(event, f.attname) for f in Event._meta.concrete_fields]
            assert visible_shift(organization, event.pk, elsewhere.pk) is None  # a shift of another event
            assert visible_shift(organization, event.pk, uuid.uuid4()) is None
    assert visible_shift(None, cases[0][0].pk, cases[0][1].pk) is None
