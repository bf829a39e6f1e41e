"""contacts.pgcopy, the batch writer's fast paths: build makes the same instance as the model's constructor;
copy_insert's column-wise COPY text is the one its converters give value by value; RowWriter's INSERT statements
store the same rows as COPY; select_rows loads the same instances as the ORM."""
import uuid

import pytest
from django.utils import timezone

from contacts import pgcopy
from contacts.models import (Consent, Contact, ContactAddress, ContactChange, ContactEmail, ContactPhone,
                             OrganizationContact, PossibleDuplicate, Tag, Tagging)
from contacts.pgcopy import RowWriter, build, copy_insert, copy_text, select_rows
from organizations.models import AuditEvent


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
    plan = pgcopy._copy_plan(model)[2]
    return "".join("\t".join(convert(getattr(obj, name)) for name, convert in plan) + "\n" for obj in objects)


ODD_TEXT = ["plain", "", "tab\there", "new\nline", "cr\rx", "back\\slash \\N", 'quote "x" \'y\'', "Zoë Nguyễn",
            "\\t", "{a,b}", "NULL", "\\N"]


@pytest.mark.django_db
def test_copy_text_is_the_converters_value_by_value(org_a, org_b):
    now = timezone.now()
    contacts = [build(Contact, id=uuid.uuid4(), coalition_id=org_a.coalition_id, given_name=text,
                      family_name=text[::-1], created_at=now, modified_at=timezone.now(), coalition_shared=i % 2 == 0)
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


def _odd_rows(org):
    """Contacts with awkward values and a row of each table the batch writes, unsaved."""
    now = timezone.now()
    contacts = [build(Contact, id=uuid.uuid4(), coalition_id=org.coalition_id, given_name=text,
                      family_name="F", created_at=now, modified_at=now) for text in ODD_TEXT]
    tag = build(Tag, id=uuid.uuid4(), coalition_id=org.coalition_id, organization=org, name="t\tag", created_at=now)
    rows = {Tag: [tag], Contact: contacts, ContactEmail: [], ContactPhone: [], ContactAddress: [],
            OrganizationContact: [], Tagging: [], Consent: [], AuditEvent: [], ContactChange: [],
            PossibleDuplicate: []}
    for i, c in enumerate(contacts):
        rows[ContactPhone].append(build(ContactPhone, contact=c, raw=c.given_name, number=f"+1203555{i:04d}",
                                        type="mobile", supplied_by=[], created_at=now))
        rows[Tagging].append(build(Tagging, tag=tag, contact=c, organization=org, created_at=now))
        rows[AuditEvent].append(build(AuditEvent, organization=org, actor_label=c.given_name, verb="consent.changed",
                                      object_type="contact", object_id=str(c.pk), created_at=now,
                                      details={"previous": None, "text": c.given_name}))
        rows[ContactChange].append(build(ContactChange, coalition_id=c.coalition_id, contact_id=c.pk, kind="created",
                                         organization=None, details={"consents": [{"status": c.given_name}]} if i % 2
                                         else {}))
        rows[ContactEmail].append(build(ContactEmail, contact=c, address=f"{i}@x.org", normalized=f"{i}@x.org",
                                        primary=True, supplied_by=[org.pk], created_at=now))
        rows[ContactAddress].append(build(ContactAddress, contact=c, line1=c.given_name, postal_code="06103",
                                          latitude=41.1 + i / 7, longitude=None, supplied_by=[org.pk],
                                          created_at=now))
        rows[OrganizationContact].append(build(OrganizationContact, organization=org, contact=c,
                                               external_id=None if i % 2 else c.given_name, notes=c.given_name,
                                               custom_fields={"k": [c.given_name, i, None, 0.1, True]}))
        rows[Consent].append(build(Consent, id=uuid.uuid4(), contact=c, channel="email", scope="organization",
                                   organization=org, recorded_by=org, status="opt_in", source="api",
                                   text=c.given_name, ip_address="2001:db8::1" if i % 2 else "10.0.0.1",
                                   captured_at=now, recorded_at=now))
    rows[PossibleDuplicate].append(build(PossibleDuplicate, id=uuid.uuid4(), contact=contacts[0], other=contacts[1],
                                         reasons=['same "name"', "a\\b"], organization=org))
    return rows


def _stored(models):
    """Every stored row of these tables (but auto-increment ids)."""
    out = {}
    for model in models:
        names = [f.attname for f in model._meta.concrete_fields
                 if not (f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField"))]
        out[model] = sorted(model.objects.values_list(*names), key=repr)
    return out


@pytest.mark.django_db
def test_insert_statements_store_what_copy_stores(org_a):
    from django.db import transaction
    rows = _odd_rows(org_a)
    with transaction.atomic():
        before = transaction.savepoint()
        for model, objects in rows.items():
            copy_insert(model, objects)
        copied = _stored(rows)
        transaction.savepoint_rollback(before)
        assert not any(_stored(rows).values())
        writer = RowWriter()
        for model, objects in rows.items():
            writer.insert(model, objects)
        assert len(writer.held) == len(rows)  # all held, for one round trip
        writer.send()
        assert _stored(rows) == copied
        assert all(len(stored) >= 1 for stored in copied.values())


@pytest.mark.django_db
def test_writer_copies_large_tables_in_order_and_keeps_copys_error(org_a):
    rows = _odd_rows(org_a)
    writer = RowWriter()
    writer.insert(Contact, rows[Contact])
    emails = [build(ContactEmail, contact=c, address=f"{i}@y.org", normalized=f"{i}@y.org", created_at=timezone.now())
              for i, c in enumerate(rows[Contact] * 2)]
    writer.insert(ContactEmail, emails)  # 24 > FEW_ROWS
    assert not writer.held  # the held contacts went first, then the COPY
    assert ContactEmail.objects.filter(address__endswith="@y.org").count() == 24
    bad = build(Contact, id=uuid.uuid4(), coalition_id=org_a.coalition_id, given_name="nul\x00", family_name="F")
    from django.db import DataError, transaction
    with pytest.raises(DataError), transaction.atomic():
        writer.insert(Contact, [bad])  # a NUL: COPY, and PostgreSQL's error
        writer.send()


@pytest.mark.django_db
def test_select_rows_loads_what_the_orm_loads(org_a):
    rows = _odd_rows(org_a)
    for model, objects in rows.items():
        copy_insert(model, objects)
    ids = [c.pk for c in rows[Contact]]
    for model in [m for m in rows if m not in (Tag, AuditEvent)]:
        field = "id" if model is Contact else "contact_id"
        pk = model._meta.pk.column
        mine = select_rows(model, f"WHERE {field} = ANY(%s::uuid[]) ORDER BY {field}, {pk}", [ids])
        theirs = list(model.objects.filter(**{f"{field}__in": ids}).order_by(field, pk))
        assert [m.__dict__ | {"_state": None} for m in mine] == [t.__dict__ | {"_state": None} for t in theirs]
        assert all(not m._state.adding and m._state.db == "default" for m in mine) and mine
