"""OSDI people, tags and taggings through the test client: shapes, signup matching, consent, filters, errors."""
import pytest

from contacts.models import Consent, Contact, Tag, Tagging

from .conftest import BASE, an_id, osdi_client, signup

pytestmark = pytest.mark.django_db


def test_signup_creates_then_matches_by_email(osdi_a):
    first = signup(osdi_a, {"given_name": "Ana", "family_name": "Ruiz",
                            "email_addresses": [{"address": "ana@example.org"}]}, add_tags=["volunteer"])
    assert first.status_code == 201, first.json()
    record = first.json()
    assert record["identifiers"][0].startswith("coalition:")
    assert an_id(record) == record["identifiers"][0].split(":", 1)[1]
    assert record["created_date"].endswith("Z") and record["modified_date"]
    assert record["_links"]["self"]["href"] == f"http://testserver{BASE}people/{an_id(record)}"
    assert record["email_addresses"] == [{"address": "ana@example.org", "primary": True}]
    again = signup(osdi_a, {"given_name": "Ana", "email_addresses": [{"address": "ANA@Example.org"}]})
    assert again.status_code == 200
    assert an_id(again.json()) == an_id(record)
    assert Contact.objects.count() == 1
    assert list(Tagging.objects.values_list("tag__name", flat=True)) == ["volunteer"]


def test_signup_maps_osdi_fields(osdi_a):
    response = signup(osdi_a, {
        "given_name": "Bo", "family_name": "Li", "languages_spoken": ["es"],
        "email_addresses": [{"address": "bo@example.org", "status": "subscribed"}],
        "phone_numbers": [{"number": "(860) 555-0101", "number_type": "Mobile", "status": "subscribed"}],
        "postal_addresses": [{"address_lines": ["12 Main St", "Apt 2"], "locality": "Hartford", "region": "CT",
                              "postal_code": "06103", "location": {"latitude": 41.76, "longitude": -72.68}}],
        "custom_fields": {"school": "Weaver"}})
    assert response.status_code == 201, response.json()
    record = response.json()
    assert record["languages_spoken"] == ["es"]
    assert record["email_addresses"][0]["status"] == "subscribed"
    assert record["phone_numbers"][0] == {"number": "+18605550101", "primary": True, "number_type": "Mobile",
                                          "status": "subscribed"}
    address = record["postal_addresses"][0]
    assert address["address_lines"][0] == "12 Main St" and address["locality"] == "Hartford"
    assert address["region"] == "CT" and address["postal_code"] == "06103"
    assert address["location"]["latitude"] == 41.76
    assert record["custom_fields"] == {"school": "Weaver"}


def test_unsubscribed_is_an_opt_out_and_subscribed_never_undoes_it_without_text(osdi_a):
    person = {"given_name": "Cy", "email_addresses": [{"address": "cy@example.org", "status": "unsubscribed"}]}
    record = signup(osdi_a, person).json()
    assert record["email_addresses"][0]["status"] == "unsubscribed"
    resubscribe = {"email_addresses": [{"address": "cy@example.org", "status": "subscribed"}]}
    put = osdi_a.put(f"{BASE}people/{an_id(record)}", resubscribe, format="json")
    assert put.status_code == 200
    assert put.json()["email_addresses"][0]["status"] == "unsubscribed"
    with_text = {"email_addresses": [{"address": "cy@example.org", "status": "subscribed",
                                      "consent_text": "Yes, email me about the campaign."}]}
    put = osdi_a.put(f"{BASE}people/{an_id(record)}", with_text, format="json")
    assert put.json()["email_addresses"][0]["status"] == "subscribed"
    assert list(Consent.objects.values_list("status", flat=True)) == ["opt_out", "opt_in"]


def test_put_updates_custom_fields_and_names(osdi_a):
    record = signup(osdi_a, {"given_name": "Di", "email_addresses": [{"address": "di@example.org"}]}).json()
    put = osdi_a.put(f"{BASE}people/{an_id(record)}", {"custom_fields": {"grade": "11"}, "family_name": "Oh"},
                     format="json")
    assert put.status_code == 200, put.json()
    assert put.json()["custom_fields"] == {"grade": "11"} and put.json()["family_name"] == "Oh"
    assert osdi_a.get(f"{BASE}people/{an_id(record)}").json()["custom_fields"] == {"grade": "11"}


def test_pages_and_an_empty_page_past_the_last(osdi_a):
    for n in range(5):
        signup(osdi_a, {"given_name": f"P{n}", "email_addresses": [{"address": f"p{n}@example.org"}]})
    page1 = osdi_a.get(BASE + "people", {"per_page": 2}).json()
    assert (page1["total_records"], page1["total_pages"], page1["per_page"], page1["page"]) == (5, 3, 2, 1)
    assert len(page1["_embedded"]["osdi:people"]) == 2
    assert "per_page=2" in page1["_links"]["next"]["href"] and "page=2" in page1["_links"]["next"]["href"]
    seen = []
    url = BASE + "people?per_page=2"
    while url:
        body = osdi_a.get(url).json()
        seen += [r["given_name"] for r in body["_embedded"]["osdi:people"]]
        url = body["_links"].get("next", {}).get("href")
    assert seen == [f"P{n}" for n in range(5)]
    past = osdi_a.get(BASE + "people", {"per_page": 2, "page": 9})
    assert past.status_code == 200
    assert past.json()["_embedded"]["osdi:people"] == [] and "next" not in past.json()["_links"]


def test_filters(osdi_a):
    signup(osdi_a, {"given_name": "Ed", "email_addresses": [{"address": "ed@example.org"}]})
    signup(osdi_a, {"given_name": "Flo", "email_addresses": [{"address": "flo@example.org"}]})
    found = osdi_a.get(BASE + "people", {"filter": "email_address eq 'ED@example.org'"}).json()
    assert [r["given_name"] for r in found["_embedded"]["osdi:people"]] == ["Ed"]
    assert osdi_a.get(BASE + "people", {"filter": "modified_date gt '2000-01-01'"}).json()["total_records"] == 2
    assert osdi_a.get(BASE + "people", {"filter": "modified_date lt '2000-01-01'"}).json()["total_records"] == 0
    both = "modified_date gt '2000-01-01' and given_name eq 'flo'"
    assert osdi_a.get(BASE + "people", {"filter": both}).json()["total_records"] == 1


@pytest.mark.parametrize("params, field", [
    ({"filter": "shoe_size eq '9'"}, "filter"),
    ({"filter": "email_address eq 'x"}, "filter"),
    ({"page": "0"}, "page"),
    ({"per_page": "many"}, "per_page"),
])
def test_bad_query_is_a_400_in_the_error_shape(osdi_a, params, field):
    response = osdi_a.get(BASE + "people", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize("body, field", [
    ({"person": {"email_addresses": [{"address": "not an email"}]}}, "person.email_addresses[0].address"),
    ({"person": {"email_addresses": "x@y.org"}}, "person.email_addresses"),
    ({"person": {"email_addresses": [{"address": "a@b.org", "status": "maybe"}]}},
     "person.email_addresses[0].status"),
    ({"person": {"given_name": "Al", "postal_addresses": [{"postal_code": "ABCDE"}]}},
     "person.postal_addresses[0].postal_code"),
    ({"person": {}}, "person"),
    ({"person": "Ana"}, "person"),
    ({"add_tags": ["x"]}, "person"),
    ({"person": {"given_name": "Al"}, "add_tags": "volunteer"}, "add_tags"),
    (["not", "an", "object"], "non_field_errors"),
])
def test_bad_signup_is_a_400_and_stores_nothing(osdi_a, body, field):
    response = osdi_a.post(BASE + "people", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"], response.json()
    assert Contact.objects.count() == 0 and Tag.objects.count() == 0


def test_malformed_json_is_a_400(osdi_a):
    response = osdi_a.post(BASE + "people", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    assert Contact.objects.count() == 0


def test_tags_and_taggings(osdi_a):
    person = signup(osdi_a, {"given_name": "Gus", "email_addresses": [{"address": "gus@example.org"}]}).json()
    created = osdi_a.post(BASE + "tags", {"name": "Parent leader"}, format="json")
    assert created.status_code == 201
    tag = created.json()
    assert osdi_a.post(BASE + "tags", {"name": "Parent leader"}, format="json").json()["identifiers"] == \
        tag["identifiers"]
    foreign_href = f"https://actionnetwork.org/api/v2/people/{an_id(person)}"
    tagging = osdi_a.post(tag["_links"]["osdi:taggings"]["href"], {"_links": {"osdi:person": {"href": foreign_href}}},
                          format="json")
    assert tagging.status_code == 201, tagging.json()
    assert tagging.json()["_links"]["osdi:person"]["href"].endswith(an_id(person))
    listed = osdi_a.get(tag["_links"]["osdi:taggings"]["href"]).json()
    assert listed["total_records"] == 1
    mine = osdi_a.get(person["_links"]["osdi:taggings"]["href"]).json()["_embedded"]["osdi:taggings"]
    assert [t["_links"]["osdi:tag"]["href"] for t in mine] == [tag["_links"]["self"]["href"]]
    deleted = osdi_a.delete(tagging.json()["_links"]["self"]["href"])
    assert deleted.status_code == 200 and Tagging.objects.count() == 0
    signup(osdi_a, {"email_addresses": [{"address": "gus@example.org"}]}, add_tags=["a", "b"])
    signup(osdi_a, {"email_addresses": [{"address": "gus@example.org"}]}, remove_tags=["a"])
    assert list(Tagging.objects.values_list("tag__name", flat=True)) == ["b"]


@pytest.mark.parametrize("body", [
    {}, {"_links": "x"}, {"_links": {"osdi:person": {"href": "https://example.org/people/not-an-id"}}}])
def test_bad_tagging_body_is_a_400(osdi_a, body):
    tag = osdi_a.post(BASE + "tags", {"name": "t"}, format="json").json()
    response = osdi_a.post(tag["_links"]["osdi:taggings"]["href"], body, format="json")
    assert response.status_code == 400
    assert "_links.osdi:person.href" in response.json()["error"]["fields"]
    assert Tagging.objects.count() == 0


def test_auth_header_and_scopes(org_a, osdi_a):
    from rest_framework.test import APIClient
    anonymous = APIClient().get(BASE + "people")
    assert anonymous.status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_OSDI_API_TOKEN="coal_nope_nope")
    assert bad.get(BASE + "people").status_code == 401
    read_only = osdi_client(org_a, scopes=["contacts:read"])
    assert read_only.get(BASE + "people").status_code == 200
    denied = signup(read_only, {"given_name": "X", "email_addresses": [{"address": "x@example.org"}]})
    assert denied.status_code == 403 and Contact.objects.count() == 0
    assert osdi_client(org_a, scopes=["events:read"]).get(BASE + "tags").status_code == 403
    assert osdi_a.get(BASE).json()["_links"]["osdi:people"]["href"].endswith("/people")


@pytest.mark.parametrize("body", [["a list"], {"email_addresses": [{"address": "bad"}]},
                                  {"custom_fields": "not a dict"}, {"languages_spoken": "en"}])
def test_bad_put_is_a_400_and_changes_nothing(osdi_a, body):
    record = signup(osdi_a, {"given_name": "Hal", "email_addresses": [{"address": "hal@example.org"}]}).json()
    before = Contact.objects.get(pk=an_id(record)).modified_at
    response = osdi_a.put(f"{BASE}people/{an_id(record)}", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["fields"]
    assert Contact.objects.get(pk=an_id(record)).modified_at == before
    assert osdi_a.get(f"{BASE}people/{an_id(record)}").json()["email_addresses"] == record["email_addresses"]


def test_a_merged_id_answers_with_the_survivor(osdi_a):
    kept = signup(osdi_a, {"given_name": "Ivy", "email_addresses": [{"address": "ivy@example.org"}]}).json()
    gone = signup(osdi_a, {"given_name": "Ivy", "email_addresses": [{"address": "ivy2@example.org"}]}).json()
    Contact.objects.filter(pk=an_id(gone)).update(merged_into_id=an_id(kept))
    assert an_id(osdi_a.get(f"{BASE}people/{an_id(gone)}").json()) == an_id(kept)


def test_signup_helper_honours_idempotency_keys(osdi_a):
    body = {"person": {"given_name": "Jo", "email_addresses": [{"address": "jo@example.org"}]}, "add_tags": ["t"]}
    first = osdi_a.post(BASE + "people", body, format="json", HTTP_IDEMPOTENCY_KEY="signup-1")
    replay = osdi_a.post(BASE + "people", body, format="json", HTTP_IDEMPOTENCY_KEY="signup-1")
    assert (first.status_code, replay.status_code) == (201, 201) and replay.json() == first.json()
    other = osdi_a.post(BASE + "people", {**body, "add_tags": ["u"]}, format="json", HTTP_IDEMPOTENCY_KEY="signup-1")
    assert other.status_code == 422
    assert Contact.objects.count() == 1 and list(Tagging.objects.values_list("tag__name", flat=True)) == ["t"]
