"""The sharing rule (DESIGN.md section 4) on every contact endpoint: B sees a contact only A holds only with
coalition consent, and then never A's tags, notes, custom fields, external ids or organization-scope consents."""
import json

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"
PRIVATE = {"given_name": "Rosa", "family_name": "Parks-Diaz", "external_id": "A-SECRET-ID",
           "notes": "A-SECRET-NOTE", "custom_fields": {"secret": "A-SECRET-FIELD"}, "tags": ["A-SECRET-TAG"],
           "emails": [{"address": "rosa@x.org"}], "phones": [{"number": "8605550160", "type": "mobile"}],
           "addresses": [{"line1": "7 Secret Lane", "city": "Hartford", "state": "CT", "postal_code": "06106",
                          "latitude": 41.75, "longitude": -72.7}],
           "consents": [{"channel": "sms", "status": "opt_out", "scope": "organization"}]}
SECRETS = ["A-SECRET-ID", "A-SECRET-NOTE", "A-SECRET-FIELD", "A-SECRET-TAG", "7 Secret Lane", "41.75"]


def share(client_a, cid, channel="email"):
    response = client_a.post(f"{URL}{cid}/consents/", {"channel": channel, "scope": "coalition", "status": "opt_in",
                                                       "source": "form", "text": "Share my details with the coalition"},
                             format="json")
    assert response.status_code == 201, response.content


def everything_b_can_read(client_b, cid) -> list:
    """Every contact endpoint B can read, with the contact id."""
    responses = [client_b.get(URL), client_b.get(f"{URL}{cid}/"), client_b.get(f"{URL}changes/"),
                 client_b.get(f"{URL}{cid}/consents/"), client_b.get(URL, {"q": "rosa@x.org"}),
                 client_b.get(URL, {"tag": "A-SECRET-TAG"}), client_b.get("/api/v1/tags/")]
    return responses


def test_a_private_contact_is_invisible_to_b_everywhere(client_a, client_b):
    cid = client_a.post(URL, PRIVATE, format="json").json()["contact"]["id"]
    for response in everything_b_can_read(client_b, cid):
        assert cid not in response.content.decode()
        assert "A-SECRET" not in response.content.decode()
    assert client_b.get(f"{URL}{cid}/").status_code == 404
    assert client_b.get(f"{URL}{cid}/consents/").status_code == 404
    assert client_b.patch(f"{URL}{cid}/", {"notes": "x"}, format="json").status_code == 404
    assert client_b.delete(f"{URL}{cid}/").status_code == 404
    assert client_b.post(f"{URL}{cid}/tags/", {"add": ["x"]}, format="json").status_code == 404


def test_coalition_consent_shows_b_the_shared_fields_only(client_a, client_b):
    cid = client_a.post(URL, PRIVATE, format="json").json()["contact"]["id"]
    share(client_a, cid, "email")
    responses = everything_b_can_read(client_b, cid)
    for response in responses:
        assert response.status_code == 200
        for secret in SECRETS:
            assert secret not in response.content.decode(), (secret, response.request["PATH_INFO"])
    seen = client_b.get(f"{URL}{cid}/").json()
    assert seen["given_name"] == "Rosa" and seen["held"] is False
    assert seen["emails"] == [{"address": "rosa@x.org", "primary": True}]
    assert seen["phones"] == []  # no sms/call coalition consent
    assert seen["addresses"] == [{"line1": "", "line2": "", "city": "Hartford", "state": "CT",
                                  "postal_code": "06106", "latitude": None, "longitude": None,
                                  "precision": "none", "primary": True}]
    assert seen["external_id"] is None and seen["notes"] == "" and seen["custom_fields"] == {}
    assert seen["tags"] == []
    assert [c["scope"] for c in seen["consents"]] == ["coalition"]  # not A's sms opt-out
    feed = client_b.get(f"{URL}changes/").json()["results"]
    assert feed[-1]["contact"] == seen
    listed = client_b.get(URL).json()["results"]
    assert listed == [seen]


def test_b_writing_a_shared_contact_becomes_a_holder_without_seeing_a_private_data(client_a, client_b):
    cid = client_a.post(URL, PRIVATE, format="json").json()["contact"]["id"]
    share(client_a, cid, "call")
    patched = client_b.patch(f"{URL}{cid}/", {"external_id": "B-1", "notes": "B note", "tags": ["b-tag"]},
                             format="json")
    assert patched.status_code == 200
    body = json.dumps(patched.json())
    for secret in SECRETS:
        assert secret not in body
    assert patched.json()["contact"]["external_id"] == "B-1"
    assert patched.json()["contact"]["phones"] == [{"number": "+18605550160", "type": "mobile", "primary": True}]
    a_view = client_a.get(f"{URL}{cid}/").json()
    assert a_view["external_id"] == "A-SECRET-ID" and "b-tag" not in a_view["tags"] and a_view["notes"] == "A-SECRET-NOTE"
    bulk = client_b.post(f"{URL}bulk/", {"records": [{"external_id": "B-1", "given_name": "Rosa"}]}, format="json")
    assert bulk.json()["results"][0]["id"] == cid
    for secret in SECRETS:
        assert secret not in bulk.content.decode()


def test_withdrawing_coalition_consent_removes_the_contact_from_b(client_a, client_b):
    cid = client_a.post(URL, PRIVATE, format="json").json()["contact"]["id"]
    share(client_a, cid)
    assert client_b.get(f"{URL}{cid}/").status_code == 200
    client_a.post(f"{URL}{cid}/consents/", {"channel": "email", "scope": "coalition", "status": "opt_out"},
                  format="json")
    assert client_b.get(f"{URL}{cid}/").status_code == 404
    feed = client_b.get(f"{URL}changes/").json()["results"]
    assert feed[-1] == {"seq": feed[-1]["seq"], "kind": "deleted", "id": cid, "contact": None}


def test_export_is_masked_like_the_api(client_a, client_b, org_b):
    from jobs.models import Job
    from contacts.imports import export_job
    cid = client_a.post(URL, PRIVATE, format="json").json()["contact"]["id"]
    share(client_a, cid)
    job = Job.objects.create(organization=org_b, kind="contacts.export")
    assert export_job(job, lambda *a: None) == {"rows": 1}
    text = job.result_file.read().decode()
    assert "rosa@x.org" in text and cid in text
    for secret in SECRETS:
        assert secret not in text
