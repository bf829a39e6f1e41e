"""Objects private to one organization, for the router-wide tenancy walk (tests/foundation)."""
from tests.isolation import private_object


def person(**extra):
    from contacts.inputs import PersonInput

    data = {"given_name": "Private", "family_name": "Person", "emails": [{"address": "private@example.org"}],
            **extra}
    serializer = PersonInput(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def upsert(org, **extra):
    from contacts.services import contact_upsert

    return contact_upsert(organization=org, person=person(**extra)).contact


@private_object("contact")
def _contact(org):
    return upsert(org).pk


@private_object("tag")
def _tag(org):
    from contacts.models import Tag
    return Tag.objects.create(coalition_id=org.coalition_id, organization=org, name="private-tag").pk


@private_object("possible-duplicate")
def _duplicate(org):
    from contacts.models import PossibleDuplicate
    first, second = upsert(org), upsert(org, emails=[{"address": "other@example.org"}], given_name="Privat")
    return PossibleDuplicate.objects.create(contact=first, other=second, reasons=["test"], organization=org).pk


@private_object("contact-merge")
def _merge(org):
    from contacts.merging import contacts_merge
    first = upsert(org)
    second = upsert(org, emails=[{"address": "second@example.org"}], given_name="Prue")
    return contacts_merge(organization=org, survivor=first, merged=second).pk
