"""contacts.pgcopy: build makes the same instance as the model's constructor, and copy_insert's column-wise COPY
text is the one its converters give value by value (the bulk writer's fast paths)."""
import uuid

import pytest
from django.utils import timezone

from contacts.models import (Contact, ContactAddress, ContactChange, ContactEmail, ContactPhone, OrganizationContact,
                             Tag, Tagging)
from contacts import pgcopy
from contacts.pgcopy import build, copy_insert, copy_text


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


def _row_by_row(model, objects):
    plan = pgcopy._copy_plan(model)[1]
    return "".join("\t".join(convert(getattr(obj, name)) for name, convert in plan) + "\n" for obj in objects)


ODD_TEXT = ["plain", "", "tab\there", "new\nline", "cr\rx", "back\\slash \\N", 'quote "x" \'y\'', "Zoë Nguyễn",
            "\\t", "{a,b}", "NULL", "\\N"]


@pytest.mark.django_db
def test_copy_text_is_the_converters_value_by_value(org_a, org_b):
    now = timezone.now()
    contacts = [build(Contact, id=uuid.uuid4(), coalition_id=org_a.coalition_id, given_name=text, family_name=text[::-1],
                      created_at=now, modified_at=timezone.now(), coalition_shared=i % 2 == 0)
                for i, text in enumerate(ODD_TEXT)]
    shared = [org_a.pk]
    addresses = [build(ContactAddress, contact=c, line1=c.given_name, line2=None if i % 3 else "2nd fl",
                       supplied_by=shared if i % 2 else [org_a.pk, org_b.pk, 'a"b\\c'], latitude=None if i % 4
                       else 41.5 + i, longitude=-72.25, primary=bool(i % 2), created_at=now)
                 for i, c in enumerate(contacts)]
    links = [build(OrganizationContact, organization=org_a, contact=c, external_id=None if i % 2 else c.given_name,
                   custom_fields={} if i % 3 else {"k\t": [c.given_name, i, None, 0.5]}, notes=c.given_name)
             for i, c in enumerate(contacts)]
    for model, objects in ((Contact, contacts), (ContactAddress, addresses), (OrganizationContact, links)):
        assert copy_text(model, objects) == _row_by_row(model, objects)
    contacts[3].given_name = "nul\x00inside"  # PostgreSQL refuses it; the text must still be the same
    contacts[4].family_name = 7
    assert copy_text(Contact, contacts) == _row_by_row(Contact, contacts)


@pytest.mark.django_db
def test_copy_insert_stores_the_values(org_a):
    contacts = [build(Contact, id=uuid.uuid4(), coalition_id=org_a.coalition_id, given_name=text, family_name="F")
                for text in ODD_TEXT]
    copy_insert(Contact, contacts)
    copy_insert(OrganizationContact, [build(OrganizationContact, organization=org_a, contact=c, external_id=None,
                                            custom_fields={"v": c.given_name}) for c in contacts])
    stored = dict(Contact.objects.filter(links__organization=org_a).values_list("id", "given_name"))
    assert stored == {c.id: c.given_name for c in contacts}
    assert sorted(OrganizationContact.objects.values_list("custom_fields", flat=True), key=str) == sorted(
        [{"v": text} for text in ODD_TEXT], key=str)
