"""OSDI petitions / signatures and forms / submissions over webforms: one signature per person, the form's own
rules (required fields, closed forms), attribution to a co-sponsor caller, consent, isolation."""
from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import Consent, Contact
from tests.webforms.factories import make_form
from webforms.models import FormAction, Submission

from .conftest import BASE, an_id, osdi_client, signup

pytestmark = pytest.mark.django_db

PERSON = {"given_name": "Maria", "family_name": "Lopez", "email_addresses": [{"address": "maria@example.org"}],
          "postal_addresses": [{"postal_code": "06106"}]}


def sign(client, petition_id, body):
    return client.post(f"{BASE}petitions/{petition_id}/signatures", body, format="json")


def test_petitions_and_forms_are_separate_collections(osdi_a, org_a):
    petition = make_form(org_a)
    story = make_form(org_a, slug="tell-us", kind="story")
    petitions = osdi_a.get(BASE + "petitions").json()
    assert [an_id(p) for p in petitions["_embedded"]["osdi:petitions"]] == [str(petition.pk)]
    record = petitions["_embedded"]["osdi:petitions"][0]
    assert record["title"] == "Close the gap" and record["total_signatures"] == 0
    assert record["created_date"] and record["modified_date"] and record["browser_url"].endswith("/close-the-gap/")
    forms = osdi_a.get(BASE + "forms").json()
    assert [an_id(f) for f in forms["_embedded"]["osdi:forms"]] == [str(story.pk)]
    assert osdi_a.get(f"{BASE}forms/{petition.pk}").status_code == 404


def test_record_signature_helper_one_signature_per_person(osdi_a, org_a):
    petition = make_form(org_a)
    first = sign(osdi_a, petition.pk, {"person": PERSON, "referrer_data": {"source": "newsletter"}})
    assert first.status_code == 201, first.json()
    assert first.json()["referrer_data"]["source"] == "newsletter"
    again = sign(osdi_a, petition.pk, {"person": {**PERSON, "given_name": "María"}})
    assert again.status_code == 200 and an_id(again.json()) == an_id(first.json())
    assert FormAction.objects.count() == 1 and Contact.objects.count() == 1
    listed = osdi_a.get(f"{BASE}petitions/{petition.pk}/signatures").json()
    assert listed["total_records"] == 1
    signature = listed["_embedded"]["osdi:signatures"][0]
    person = osdi_a.get(signature["_links"]["osdi:person"]["href"]).json()
    assert person["email_addresses"][0]["address"] == "maria@example.org"
    assert osdi_a.get(f"{BASE}petitions/{petition.pk}").json()["total_signatures"] == 1
    assert osdi_a.get(person["_links"]["osdi:signatures"]["href"]).json()["total_records"] == 1


def test_signature_by_person_link_on_another_host(osdi_a, org_a):
    petition = make_form(org_a)
    person = signup(osdi_a, {**PERSON}).json()
    link = {"_links": {"osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{an_id(person)}"}}}
    response = sign(osdi_a, petition.pk, link)
    assert response.status_code == 201, response.json()
    assert response.json()["_links"]["osdi:person"]["href"].endswith(an_id(person))
    assert Contact.objects.count() == 1


def test_statuses_become_the_callers_consents_not_form_ticks(osdi_a, org_a):
    petition = make_form(org_a)
    body = {"person": {**PERSON, "email_addresses": [{"address": "maria@example.org", "status": "unsubscribed"}]}}
    assert sign(osdi_a, petition.pk, body).status_code == 201
    consent = Consent.objects.get()
    assert (consent.status, consent.source, consent.text) == ("opt_out", "api", "")


@pytest.mark.parametrize("body, field", [
    ({"person": {"given_name": "Al"}}, "person.email_addresses"),              # the form requires an email
    ({"person": {**PERSON, "postal_addresses": []}}, "person.postal_addresses"),  # ... and a ZIP
    ({"person": {"email_addresses": [{"address": "bad"}]}}, "person.email_addresses[0].address"),
    ({}, "_links.osdi:person.href"),
    ({"_links": {"osdi:person": {"href": "https://x.org/people/nope"}}}, "_links.osdi:person.href"),
])
def test_bad_signatures_are_400_and_store_nothing(osdi_a, org_a, body, field):
    petition = make_form(org_a)
    response = sign(osdi_a, petition.pk, body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"], response.json()
    assert Submission.objects.count() == 0 and Contact.objects.count() == 0


def test_closed_form_is_refused(osdi_a, org_a):
    petition = make_form(org_a, closes_at=timezone.now() - timedelta(days=1))
    response = sign(osdi_a, petition.pk, {"person": PERSON})
    assert response.status_code == 410 and Submission.objects.count() == 0


def test_a_cosponsor_is_credited_and_sees_what_its_sharing_mode_allows(osdi_a, osdi_b, org_a, org_b):
    petition = make_form(org_a, cosponsors=[(org_b, "recruited", "bravo")])
    mine = sign(osdi_b, petition.pk, {"person": PERSON})
    assert mine.status_code == 201 and mine.json()["recruited_by"] == "bravo"
    sign(osdi_a, petition.pk, {"person": {**PERSON, "given_name": "Zoe", "email_addresses": [{"address": "z@x.org"}]}})
    assert osdi_b.get(f"{BASE}petitions/{petition.pk}/signatures").json()["total_records"] == 1   # its own recruit
    assert osdi_a.get(f"{BASE}petitions/{petition.pk}/signatures").json()["total_records"] == 2   # the owner: all


def test_submissions_on_forms(osdi_a, org_a):
    form = make_form(org_a, slug="volunteer", kind="volunteer")
    first = osdi_a.post(f"{BASE}forms/{form.pk}/submissions", {"person": PERSON}, format="json")
    assert first.status_code == 201, first.json()
    listed = osdi_a.get(f"{BASE}forms/{form.pk}/submissions", {"filter": "created_date gt '2000-01-01'"}).json()
    assert listed["total_records"] == 1
    assert osdi_a.get(listed["_embedded"]["osdi:submissions"][0]["_links"]["self"]["href"]).status_code == 200


def test_isolation(osdi_a, osdi_b, org_a, org_b):
    private = make_form(org_b, slug="b-only")
    assert osdi_a.get(f"{BASE}petitions/{private.pk}").status_code == 404
    assert osdi_a.get(f"{BASE}petitions/{private.pk}/signatures").status_code == 404
    assert sign(osdi_a, private.pk, {"person": PERSON}).status_code == 404
    assert osdi_a.get(BASE + "petitions").json()["total_records"] == 0
    signature = sign(osdi_b, private.pk, {"person": PERSON}).json()
    assert osdi_a.get(signature["_links"]["self"]["href"]).status_code == 404
    assert Submission.objects.count() == 1
    assert osdi_client(org_a, scopes=["contacts:read"]).get(BASE + "petitions").status_code == 403


def test_a_cosponsor_sharing_none_records_without_receiving_the_person(osdi_a, osdi_b, org_a, org_b):
    petition = make_form(org_a, cosponsors=[(org_b, "none", "bravo")])
    body = {"person": {**PERSON, "email_addresses": [{"address": "maria@example.org", "status": "unsubscribed"}]}}
    response = sign(osdi_b, petition.pk, body)
    assert response.status_code == 201 and response.json()["recruited_by"] == "bravo"
    assert "osdi:person" not in response.json()["_links"]
    assert not Contact.objects.held_by(org_b).exists() and Consent.objects.count() == 0
    assert osdi_b.get(f"{BASE}petitions/{petition.pk}/signatures").json()["total_records"] == 0
    assert osdi_a.get(f"{BASE}petitions/{petition.pk}/signatures").json()["total_records"] == 1
