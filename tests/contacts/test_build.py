"""contacts.pgcopy.build makes the same instance as the model's constructor (the bulk writer's fast path)."""
import uuid

import pytest
from django.utils import timezone

from contacts.models import (Contact, ContactAddress, ContactChange, ContactEmail, ContactPhone, OrganizationContact,
                             Tag, Tagging)
from contacts.pgcopy import build


def _same(model, **values):
    made, expected = build(model, **values), model(**values)
    mine = {k: v for k, v in made.__dict__.items() if k != "_state"}
    theirs = {k: v for k, v in expected.__dict__.items() if k != "_state"}
    for name in ("created_at", "first_seen_at", "modified_at", "recorded_at"):  # timezone.now defaults
        if name in mine and name not in values:
            assert abs(mine.pop(name) - theirs.pop(name)).total_seconds() < 5
    if "id" not in values and isinstance(theirs.get("id"), uuid.UUID):  # uuid4 default
        assert isinstance(mine.pop("id"), uuid.UUID) and theirs.pop("id") is not None
    assert mine == theirs
    assert made._state.adding and made._state.db is None
    assert made._state.fields_cache == expected._state.fields_cache
    return made


@pytest.mark.django_db
def test_build_matches_the_constructor(org_a):
    now = timezone.now()
    contact = _same(Contact, id=uuid.uuid4(), coalition_id=org_a.coalition_id, created_at=now, modified_at=now)
    _same(Contact, coalition_id=org_a.coalition_id)
    _same(ContactEmail, contact=contact, address="a@b.org", normalized="a@b.org", primary=True,
          supplied_by=[org_a.pk], created_at=now)
    _same(ContactPhone, contact=contact, raw="203", number="+12035550100", type="mobile", primary=False,
          supplied_by=[org_a.pk], created_at=now)
    _same(ContactAddress, contact=contact, line1="1 Main St", postal_code="06103", supplied_by=[org_a.pk])
    link = _same(OrganizationContact, organization=org_a, contact=contact, source="api", first_seen_at=now)
    assert link.contact is contact and link.organization is org_a and link.contact_id == contact.pk
    tag = _same(Tag, id=uuid.uuid4(), coalition_id=org_a.coalition_id, organization=org_a, name="t")
    _same(Tagging, tag=tag, contact=contact, organization=None, created_at=now)
    _same(ContactChange, coalition_id=contact.coalition_id, contact_id=contact.pk, kind="created",
          organization=None, details={})
    with pytest.raises(TypeError):
        build(Contact, nonsense=1)
