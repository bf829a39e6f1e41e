"""Small upserts lock only the people they write (their matching keys and contacts), yet two requests about the
same new person still end with one contact, and a bulk page still excludes them."""
import threading

import pytest
from django.db import connection

from contacts.inputs import PersonInput
from contacts.models import Contact, ContactEmail
from contacts.services import contact_upsert


def _person(data):
    person = PersonInput(data=data)
    person.is_valid(raise_exception=True)
    return person.validated_data


def _together(count, work):
    """Run `work(i)` in `count` threads released at once; their exceptions, if any."""
    barrier, errors = threading.Barrier(count), []

    def run(i):
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_of_one_new_person_by_email_or_phone_make_one_contact(org_a, org_b):
    outcomes = []

    def work(i):
        data = {"given_name": "Rosa", "family_name": "Parks"}
        if i % 2:
            data["emails"] = [{"address": "ROSA@Example.org"}]
        else:
            data["emails"] = [{"address": "rosa@example.org"}]
        outcomes.append(contact_upsert(organization=(org_a, org_b)[i % 2], person=_person(data)).outcome)
    assert _together(8, work) == []
    assert ContactEmail.objects.filter(normalized__iexact="rosa@example.org").values("contact").distinct().count() == 1
    assert sorted(outcomes).count("created") == 1


@pytest.mark.django_db(transaction=True)
def test_a_small_upsert_waits_only_for_writes_about_the_same_people_and_an_exclusive_lock_waits_for_it(org_a):
    from django.db import transaction

    from contacts.changes import lock_coalition, lock_keys
    holding, release = threading.Event(), threading.Event()

    def hold_ann():  # what a small upsert about ann@example.org holds until it commits (before its feed write)
        with transaction.atomic():
            lock_coalition(org_a.coalition_id, shared=True)
            lock_keys(org_a.coalition_id, [("email", "ANN@EXAMPLE.ORG")])
            holding.set()
            release.wait(10)
        connection.close()

    def upsert(name):
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '500ms'")
        try:
            return contact_upsert(organization=org_a, person=_person({"given_name": name.title(), "emails": [
                {"address": f"{name}@example.org"}]})).outcome
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")

    holder = threading.Thread(target=hold_ann)
    holder.start()
    assert holding.wait(10)
    try:
        assert upsert("bo") == "created", "a write about someone else goes ahead"
        with pytest.raises(Exception, match="lock timeout"):
            upsert("ann")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
            with pytest.raises(Exception, match="lock timeout"):
                with transaction.atomic():
                    lock_coalition(org_a.coalition_id)  # a bulk page, a merge: waits for the small write
            cursor.execute("SET lock_timeout = 0")
    finally:
        release.set()
        holder.join(10)
    assert upsert("ann") == "created"
    assert sorted(Contact.objects.values_list("given_name", flat=True)) == ["Ann", "Bo"]


@pytest.mark.django_db
def test_changes_held_to_the_end_of_a_block_are_written_as_it_ends_and_dropped_when_it_fails(org_a):
    from django.db import transaction

    from contacts.changes import changes_at_the_end
    from contacts.models import ContactChange

    with transaction.atomic(), changes_at_the_end():
        contact = contact_upsert(organization=org_a, person=_person({"given_name": "Ida"})).contact
        assert not ContactChange.objects.filter(contact_id=contact.pk).exists(), "held back"
    assert ContactChange.objects.filter(contact_id=contact.pk, kind="created").count() == 1
    with pytest.raises(RuntimeError):
        with transaction.atomic(), changes_at_the_end():
            lost = contact_upsert(organization=org_a, person=_person({"given_name": "Lou"})).contact
            raise RuntimeError("the rest of the request failed")
    assert not Contact.objects.filter(pk=lost.pk).exists()
    contact_upsert(organization=org_a, person=_person({"given_name": "Max"}))  # outside a block: written at once
    assert ContactChange.objects.filter(kind="created").count() == 2
