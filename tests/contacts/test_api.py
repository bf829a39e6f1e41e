"""The contacts API: create-or-match, retrieve, PATCH, DELETE, list filters, bad input."""
import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def post(client, body, url=URL):
    return client.post(url, body, format="json")


def test_create_then_match_by_email_reports_the_rule(client_a):
    first = post(client_a, {"given_name": "José", "family_name": "Nguyễn", "emails": [{"address": "Jose@Example.ORG"}]})
    assert first.status_code == 201, first.content
    assert first.json()["match"] == {"outcome": "created", "rule": None}
    contact = first.json()["contact"]
    assert contact["given_name"] == "José" and contact["family_name"] == "Nguyễn"
    assert contact["emails"] == [{"address": "Jose@Example.ORG", "primary": True}]
    again = post(client_a, {"given_name": "José", "emails": [{"address": " Jose@example.org "}]})
    assert again.status_code == 200
    assert again.json()["match"] == {"outcome": "unchanged", "rule": "email"}
    assert again["X-Match-Rule"] == "email"
    assert again.json()["contact"]["id"] == contact["id"]


def test_match_order_external_id_then_email_then_mobile(client_a):
    a = post(client_a, {"given_name": "Ana", "external_id": "A1", "emails": [{"address": "ana@x.org"}],
                        "phones": [{"number": "(860) 555-0101", "type": "mobile"}]}).json()["contact"]["id"]
    by_ext = post(client_a, {"external_id": "A1", "emails": [{"address": "new@x.org"}]})
    assert by_ext.json()["match"]["rule"] == "external_id" and by_ext.json()["contact"]["id"] == a
    by_phone = post(client_a, {"given_name": "Ana", "phones": [{"number": "+1 860 555 0101"}]})
    assert by_phone.json()["match"]["rule"] == "phone" and by_phone.json()["contact"]["id"] == a
    landline = post(client_a, {"given_name": "Ana", "phones": [{"number": "860-555-0101", "type": "landline"}]})
    assert landline.status_code == 201  # a landline never matches: households share them


def test_shared_household_email_with_a_different_given_name_creates_and_flags(client_a):
    parent = post(client_a, {"given_name": "Maria", "family_name": "Lopez", "emails": [{"address": "fam@x.org"}]})
    child = post(client_a, {"given_name": "Diego", "family_name": "Lopez", "emails": [{"address": "fam@x.org"}]})
    assert child.status_code == 201
    assert child.json()["contact"]["id"] != parent.json()["contact"]["id"]
    assert child.json()["possible_duplicates"]
    dups = client_a.get("/api/v1/possible-duplicates/").json()["results"]
    assert dups[0]["reasons"] == ["shared_email"]
    assert {dups[0]["contact"]["given_name"], dups[0]["other"]["given_name"]} == {"Maria", "Diego"}
    dismissed = client_a.post(f"/api/v1/possible-duplicates/{dups[0]['id']}/dismiss/")
    assert dismissed.json()["status"] == "dismissed"
    assert client_a.get("/api/v1/possible-duplicates/").json()["results"] == []


def test_weak_match_never_merges_but_records_a_possible_duplicate(client_a):
    address = {"line1": "12 Main Street", "city": "Hartford", "state": "CT", "postal_code": "06103"}
    one = post(client_a, {"given_name": "Jon", "family_name": "Smith", "addresses": [address]}).json()
    two = post(client_a, {"given_name": "John", "family_name": "Smith", "addresses": [
        {**address, "line1": "12 Main St"}]}).json()
    assert one["contact"]["id"] != two["contact"]["id"]
    dup = client_a.get("/api/v1/possible-duplicates/").json()["results"][0]
    assert dup["reasons"] == ["similar_name", "same_address"]


def test_a_bulk_page_records_weak_matches_against_stored_people(client_a):
    """A page (more than KEYED_BATCH name and ZIP pairs) looks them up with the joined weak-match query."""
    address = {"line1": "12 Main Street", "city": "Hartford", "state": "CT", "postal_code": "06103"}
    stored = post(client_a, {"given_name": "Jon", "family_name": "Smith", "addresses": [address]}).json()
    fillers = [{"given_name": f"F{i}", "family_name": f"Filler{i}", "external_id": f"f{i}",
                "addresses": [{**address, "line1": f"{i} Elm Street"}]} for i in range(30)]
    response = client_a.post("/api/v1/contacts/bulk/", {"records": [
        *fillers, {"given_name": "John", "family_name": "Smith", "addresses": [{**address, "postal_code": "06103"}]}]},
        format="json")
    created = response.json()["results"][-1]
    assert created["status"] == "created" and created["id"] != stored["contact"]["id"]
    dup = client_a.get("/api/v1/possible-duplicates/").json()["results"]
    assert [sorted([d["contact"]["id"], d["other"]["id"]]) for d in dup] == \
        [sorted([created["id"], stored["contact"]["id"]])]
    assert dup[0]["reasons"] == ["similar_name", "same_address"]


def test_addresses_are_parsed_and_placed_by_zip_centroid(client_a):
    body = post(client_a, {"given_name": "Al", "external_id": "x", "addresses": [
        {"line1": "100 Broad Street Apt 4", "city": "Hartford", "state": "ct", "postal_code": "06106"}]}).json()
    address = body["contact"]["addresses"][0]
    assert address["precision"] == "zip_centroid" and 41 < address["latitude"] < 42
    assert address["state"] == "CT"
    from contacts.models import ContactAddress
    row = ContactAddress.objects.get()
    assert (row.number, row.street, row.unit) == ("100", "BROAD ST", "4")


def test_retrieve_patch_and_unicode(client_a):
    created = post(client_a, {"given_name": "Siobhán", "family_name": "O'Brien", "external_id": "s1"}).json()
    cid = created["contact"]["id"]
    got = client_a.get(f"{URL}{cid}/").json()
    assert (got["given_name"], got["family_name"]) == ("Siobhán", "O'Brien")
    patched = client_a.patch(f"{URL}{cid}/", {"family_name": "Ó Briain", "notes": "met at rally",
                                              "custom_fields": {"school": "Weaver"}}, format="json")
    assert patched.status_code == 200, patched.content
    body = patched.json()["contact"]
    assert body["family_name"] == "Ó Briain" and body["notes"] == "met at rally"
    assert body["custom_fields"] == {"school": "Weaver"}
    assert client_a.put(f"{URL}{cid}/", {}, format="json").status_code == 405


def test_bad_input_names_the_field(client_a):
    bad = post(client_a, {"given_name": "x" * 10_000, "emails": [{"address": "not-an-email"}],
                          "phones": [{"number": "123"}]})
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert set(fields) == {"given_name", "emails[0].address", "phones[0].number"}
    empty = post(client_a, {})
    assert empty.status_code == 400
    raw = client_a.post(URL, "{not json", content_type="application/json")
    assert raw.status_code == 400 and raw.json()["error"]["code"] == "parse_error"
    assert client_a.get(f"{URL}not-a-uuid/").status_code == 404


def test_delete_removes_only_the_callers_link(client_a, client_b, org_a, org_b):
    a = post(client_a, {"given_name": "Dee", "external_id": "a-1", "notes": "A's note", "tags": ["a-tag"],
                        "emails": [{"address": "dee@x.org"}]}).json()["contact"]["id"]
    b = post(client_b, {"given_name": "Dee", "external_id": "b-1", "emails": [{"address": "dee@x.org"}],
                        "phones": [{"number": "2035550123", "type": "mobile"}]}).json()["contact"]["id"]
    assert a == b
    assert client_a.delete(f"{URL}{a}/").status_code == 204
    assert client_a.get(f"{URL}{a}/").status_code == 404
    still = client_b.get(f"{URL}{a}/").json()
    assert still["external_id"] == "b-1" and still["emails"] == [{"address": "dee@x.org", "primary": True}]
    from contacts.models import OrganizationContact, Tagging
    assert not OrganizationContact.objects.filter(organization=org_a).exists()
    assert not Tagging.objects.filter(tag__organization=org_a).exists()
    feed = client_a.get(f"{URL}changes/").json()["results"]
    assert feed[-1]["kind"] == "deleted" and feed[-1]["id"] == a and feed[-1]["contact"] is None
    assert client_a.delete(f"{URL}{a}/").status_code == 404


def test_list_filters(client_a):
    post(client_a, {"given_name": "Hal", "family_name": "Hartford", "emails": [{"address": "h@x.org"}],
                    "tags": ["volunteer"], "addresses": [{"city": "Hartford", "postal_code": "06103"}],
                    "consents": [{"channel": "email", "status": "opt_in", "text": "Yes email me"}]})
    post(client_a, {"given_name": "Nia", "family_name": "Haven", "phones": [{"number": "2035550199"}],
                    "addresses": [{"city": "New Haven", "postal_code": "06511"}],
                    "consents": [{"channel": "email", "status": "opt_out"}]})

    def names(**params):
        response = client_a.get(URL, params)
        assert response.status_code == 200, response.content
        return sorted(c["given_name"] for c in response.json()["results"])

    assert names() == ["Hal", "Nia"]
    assert names(tag="volunteer") == ["Hal"]
    assert names(postal_code="065") == ["Nia"]
    assert names(town="new haven") == ["Nia"]
    assert names(q="hart") == ["Hal"]
    assert names(q="h@x.org") == ["Hal"]
    assert names(has_email="true") == ["Hal"]
    assert names(has_phone="true") == ["Nia"]
    assert names(has_phone="false") == ["Hal"]
    assert names(consent="email") == ["Hal"]
    assert names(consent="email:opt_out") == ["Nia"]
    assert names(modified_since="2999-01-01T00:00:00Z") == []
    assert client_a.get(URL, {"consent": "fax"}).status_code == 400


def test_list_cursor_pagination_visits_every_contact_once(client_a):
    records = [{"given_name": f"P{i}", "external_id": f"p{i}"} for i in range(25)]
    post(client_a, {"records": records}, url=f"{URL}bulk/")
    seen, url = [], f"{URL}?page_size=7"
    while url:
        page = client_a.get(url).json()
        seen += [c["external_id"] for c in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(f"p{i}" for i in range(25))


def test_contact_upsert_returns_a_saved_contact_other_apps_can_use(org_a):
    from contacts.models import Contact
    from contacts.services import contact_upsert
    from tests.contacts.factories import person

    result = contact_upsert(organization=org_a, person=person(), source="form")
    assert result.outcome == "created" and result.contact.pk
    result.contact.language = "es"
    result.contact.save()  # an UPDATE: the instance knows it is stored
    assert Contact.objects.get().language == "es"
    again = contact_upsert(organization=org_a, person=person(), source="form")
    assert (again.outcome, again.rule, again.contact.pk) == ("unchanged", "email", result.contact.pk)
