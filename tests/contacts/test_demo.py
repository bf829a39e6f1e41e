import pytest
from django.core.management import call_command

from contacts.models import Contact, ContactChange


@pytest.mark.django_db
def test_seed_demo_adds_supporters_idempotently():
    call_command("seed_demo")
    contacts = Contact.objects.count()
    assert contacts >= 250
    assert Contact.objects.filter(coalition_shared=True).exists()
    assert set(Contact.objects.values_list("addresses__city", flat=True)) >= {"Hartford", "New Haven", "Bridgeport"}
    changes = ContactChange.objects.count()
    call_command("seed_demo")
    assert Contact.objects.count() == contacts and ContactChange.objects.count() == changes
