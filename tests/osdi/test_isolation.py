"""OSDI routes are not on the DRF router, so the tenancy walk does not cover them: these tests do.
Organization A's key gets a 404 for B's private people, tags and taggings, never lists them, and sees a
coalition-shared person only as contacts.sharing allows."""
import pytest

from contacts.consent import consent_record
from contacts.models import Contact, Tagging

from .conftest import BASE, an_id, osdi_client, signup

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_a, org_b):
    a, b = osdi_client(org_a), osdi_client(org_b)
    private = signup(b, {"given_name": "Private", "family_name": "Bee",
                         "email_addresses": [{"address": "private@b.org"}]},
                     add_tags=["b-secret"]).json()
    shared = signup(b, {"given_name": "Shared", "email_addresses": [{"address": "shared@b.org"}],
                        "custom_fields": {"b_note": "private to B"}}, add_tags=["b-secret"]).json()
    contact = Contact.objects.get(pk=an_id(shared))
    consent_record(contact=contact, recorded_by=org_b, channel="sms", scope="coalition", status="opt_in",
                   source="form", text="Share my number with the coalition")
    b_tag = b.get(BASE + "tags").json()["_embedded"]["osdi:tags"][0]
    a_tag = a.post(BASE + "tags", {"name": "a-tag"}, format="json").json()
    return {"a": a, "b": b, "private": an_id(private), "shared": an_id(shared), "b_tag": b_tag, "a_tag": a_tag}


def test_foreign_private_person_is_a_404_everywhere(world):
    a, pid = world["a"], world["private"]
    assert a.get(f"{BASE}people/{pid}").status_code == 404
    assert a.get(f"{BASE}people/{pid}/taggings").status_code == 404
    put = a.put(f"{BASE}people/{pid}", {"given_name": "Hijacked"}, format="json")
    assert put.status_code == 404 and put.json()["error"]["code"] == "not_found"
    tagging = a.post(world["a_tag"]["_links"]["osdi:taggings"]["href"],
                     {"_links": {"osdi:person": {"href": f"https://elsewhere.example/people/{pid}"}}}, format="json")
    assert tagging.status_code == 404
    assert Contact.objects.get(pk=pid).given_name == "Private"
    assert not Tagging.objects.filter(tag__name="a-tag").exists()


def test_foreign_tags_and_taggings_are_404(world):
    a, b_tag = world["a"], world["b_tag"]
    assert a.get(b_tag["_links"]["self"]["href"]).status_code == 404
    assert a.get(b_tag["_links"]["osdi:taggings"]["href"]).status_code == 404
    tagging_href = f"{b_tag['_links']['self']['href']}/taggings/{world['private']}"
    assert a.get(tagging_href).status_code == 404
    assert a.delete(tagging_href).status_code == 404
    assert a.post(b_tag["_links"]["osdi:taggings"]["href"],
                  {"_links": {"osdi:person": {"href": f"/people/{world['shared']}"}}}, format="json").status_code == 404
    assert Tagging.objects.filter(tag__name="b-secret").count() == 2


def test_lists_never_show_foreign_private_people_or_tags(world):
    a = world["a"]
    people = a.get(BASE + "people").json()
    assert [an_id(r) for r in people["_embedded"]["osdi:people"]] == [world["shared"]]
    assert a.get(BASE + "people", {"filter": "email_address eq 'private@b.org'"}).json()["total_records"] == 0
    tags = a.get(BASE + "tags").json()["_embedded"]["osdi:tags"]
    assert [t["name"] for t in tags] == ["a-tag"]


def test_a_shared_person_shows_only_what_was_shared(world):
    a, sid = world["a"], world["shared"]
    record = a.get(f"{BASE}people/{sid}").json()
    assert record["given_name"] == "Shared"
    assert record["email_addresses"] == []          # consent to share covers sms only
    assert record["custom_fields"] == {}            # B's custom fields are B's
    assert a.get(f"{BASE}people/{sid}/taggings").json()["total_records"] == 0  # B's private tag
    # an email filter must not confirm an address the record hides
    assert a.get(BASE + "people", {"filter": "email_address eq 'shared@b.org'"}).json()["total_records"] == 0


def test_foreign_and_malformed_ids_are_the_same_404(world):
    a = world["a"]
    for pid in ("not-a-uuid", "00000000-0000-0000-0000-000000000000", world["private"]):
        response = a.get(f"{BASE}people/{pid}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_signup_matching_a_foreign_private_person_answers_as_a_creation(world):
    response = signup(world["a"], {"given_name": "Private", "email_addresses": [{"address": "private@b.org"}]})
    assert response.status_code == 201   # the same person, but the status must not tell A that B holds them
    assert an_id(response.json()) == world["private"]
    assert response.json()["custom_fields"] == {}
    assert world["a"].get(f"{BASE}people/{world['private']}/taggings").json()["total_records"] == 0
