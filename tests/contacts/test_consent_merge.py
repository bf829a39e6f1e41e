"""Sticky opt-outs, merges (registry, resolvable old id, undo), coalition erasure and tags."""
import pytest

from contacts.models import Consent, Contact, ContactChange, ContactMerge, Tag
from organizations.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def create(client, **body):
    response = client.post(URL, body, format="json")
    assert response.status_code in (200, 201), response.content
    return response.json()["contact"]["id"]


def status(client, cid, channel="email"):
    current = client.get(f"{URL}{cid}/consents/").json()["current"]
    return [c["status"] for c in current if c["channel"] == channel]


def test_opt_out_is_sticky_across_bulk_import_and_update(client_a, org_a):
    cid = create(client_a, given_name="Sam", emails=[{"address": "sam@x.org"}],
                 consents=[{"channel": "email", "status": "opt_in", "text": "Email me"}])
    out = client_a.post(f"{URL}{cid}/consents/", {"channel": "email", "status": "opt_out", "source": "form"},
                        format="json")
    assert out.status_code == 201 and status(client_a, cid) == ["opt_out"]
    # a sync that says "subscribed" without the consent text: ignored, with a warning
    bulk = client_a.post(f"{URL}bulk/", {"records": [{"emails": [{"address": "sam@x.org"}], "consents": [
        {"channel": "email", "status": "opt_in"}]}]}, format="json").json()["results"][0]
    assert bulk["warnings"] and "opt_out_is_sticky" in bulk["warnings"][0]
    patch = client_a.patch(f"{URL}{cid}/", {"consents": [{"channel": "email", "status": "opt_in"}]}, format="json")
    assert patch.json()["warnings"]
    direct = client_a.post(f"{URL}{cid}/consents/", {"channel": "email", "status": "opt_in"}, format="json")
    assert direct.status_code == 409 and direct.json()["error"]["code"] == "opt_out_is_sticky"
    from contacts.imports import import_csv
    import_csv(organization=org_a, content=b"email,first_name\nsam@x.org,Sam\n")
    assert status(client_a, cid) == ["opt_out"]
    # a fresh explicit opt-in with its text does turn it back on
    fresh = client_a.post(f"{URL}{cid}/consents/", {"channel": "email", "status": "opt_in", "source": "form",
                                                    "text": "Yes, email me again", "ip_address": "203.0.113.9"},
                          format="json")
    assert fresh.status_code == 201 and status(client_a, cid) == ["opt_in"]
    history = client_a.get(f"{URL}{cid}/consents/").json()["history"]
    assert [h["status"] for h in history] == ["opt_in", "opt_out", "opt_in"]
    assert Consent.objects.count() == 3  # append-only: nothing was rewritten
    assert AuditEvent.objects.filter(verb="consent.changed").count() == 3
    from contacts.consent import consent_status
    assert consent_status(Contact.objects.get(pk=cid), "email", org_a) == "opt_in"


def test_merge_moves_rows_keeps_values_old_id_resolves_and_undo_restores(client_a, client_b):
    keep = create(client_a, given_name="Lee", family_name="Wong", external_id="k", emails=[{"address": "lee@x.org"}],
                  tags=["t1"])
    gone = create(client_a, given_name="Lee", external_id="g", emails=[{"address": "lee.wong@y.org"}],
                  phones=[{"number": "2035550188", "type": "mobile"}], tags=["t2"],
                  consents=[{"channel": "sms", "status": "opt_in", "text": "Texts ok"}])
    response = client_a.post(f"{URL}{keep}/merge/", {"other": gone}, format="json")
    assert response.status_code == 200, response.content
    merged = response.json()["contact"]
    assert sorted(e["address"] for e in merged["emails"]) == ["lee.wong@y.org", "lee@x.org"]
    assert merged["phones"][0]["number"] == "+12035550188" and merged["tags"] == ["t1", "t2"]
    old = client_a.get(f"{URL}{gone}/")
    assert old.status_code == 200 and old.json()["id"] == keep
    assert old.json()["resolved_from"] == {"id": gone, "merged_into": keep}
    assert old["Content-Location"] == f"/api/v1/contacts/{keep}/"
    # the old external id still finds the survivor
    again = client_a.post(URL, {"external_id": "g"}, format="json").json()
    assert again["contact"]["id"] == keep and again["match"]["rule"] == "external_id"
    assert AuditEvent.objects.filter(verb="contact.merged").count() == 1
    feed = client_a.get(f"{URL}changes/").json()["results"]
    assert {"kind": "merged", "id": gone, "merged_into": keep} == {k: feed[-2][k] for k in ("kind", "id", "merged_into")}
    listed = [c["id"] for c in client_a.get(URL).json()["results"]]
    assert listed == [keep]
    merge_id = response.json()["merge"]["id"]
    undo = client_a.post(f"/api/v1/merges/{merge_id}/undo/")
    assert undo.status_code == 200 and undo.json()["undone_at"]
    assert sorted(c["id"] for c in client_a.get(URL).json()["results"]) == sorted([keep, gone])
    assert [e["address"] for e in client_a.get(f"{URL}{gone}/").json()["emails"]] == ["lee.wong@y.org"]
    assert client_a.get(f"{URL}{gone}/").json()["tags"] == ["t2"]
    assert client_a.get(f"{URL}{keep}/").json()["phones"] == []
    assert client_a.post(f"/api/v1/merges/{merge_id}/undo/").status_code == 409
    assert client_b.post(f"/api/v1/merges/{merge_id}/undo/").status_code == 404


def test_merge_of_twin_values_unites_their_suppliers(client_a, client_b):
    a = create(client_a, given_name="Kim", emails=[{"address": "kim@x.org"}], external_id="a")
    b = create(client_b, given_name="Kimberly", phones=[{"number": "2035550199"}], emails=[{"address": "kim2@x.org"}])
    client_b.post(f"{URL}{b}/consents/", {"channel": "email", "scope": "coalition", "status": "opt_in",
                                          "text": "share"}, format="json")
    client_b.patch(f"{URL}{b}/", {"emails": [{"address": "kim@x.org"}]}, format="json")  # B holds it by email
    assert client_a.post(f"{URL}{a}/merge/", {"other": b}, format="json").status_code == 200
    view = client_b.get(f"{URL}{b}/").json()
    assert view["id"] == a and "kim@x.org" in [e["address"] for e in view["emails"]]


def test_merge_registry_lists_every_contact_relation():
    from contacts import merging
    relations = merging.registered()
    assert {"contacts.contactemail.contact", "contacts.organizationcontact.contact", "contacts.consent.contact",
            "contacts.tagging.contact"} <= set(relations)


def test_coalition_erasure_leaves_only_an_audit_record(client_a, client_b, admin_client):
    cid = create(client_b, given_name="Erin", emails=[{"address": "erin@x.org"}], notes="secret",
                 consents=[{"channel": "email", "scope": "coalition", "status": "opt_in", "text": "share"}])
    other = create(client_b, given_name="Erin", emails=[{"address": "erin2@x.org"}])
    client_b.post(f"{URL}{cid}/merge/", {"other": other}, format="json")
    assert client_b.post(f"{URL}{cid}/erase/", {}, format="json").status_code == 403  # B is no coalition admin
    assert client_a.post(f"{URL}{cid}/erase/", {}, format="json").status_code == 403  # key lacks coalition:admin
    response = admin_client.post(f"{URL}{cid}/erase/", {"reason": "data deletion request"}, format="json")
    assert response.status_code == 204
    assert not Contact.objects.filter(pk__in=[cid, other]).exists()
    assert not Consent.objects.exists() and not ContactMerge.objects.exists()
    assert list(ContactChange.objects.values_list("kind", flat=True)) == ["deleted", "deleted"]
    assert client_b.get(f"{URL}{cid}/").status_code == 404
    feed = client_b.get(f"{URL}changes/").json()["results"]
    assert {(e["kind"], e["id"]) for e in feed} == {("deleted", cid), ("deleted", other)}
    audit = AuditEvent.objects.get(verb="contact.erased")
    assert audit.object_id == cid and "erin" not in str(audit.details).lower()


def test_tags_private_and_coalition_wide(client_a, client_b, admin_client):
    assert client_b.post("/api/v1/tags/", {"name": "everyone", "coalition_wide": True},
                         format="json").status_code == 403
    wide = admin_client.post("/api/v1/tags/", {"name": "everyone", "coalition_wide": True}, format="json")
    assert wide.status_code == 201 and wide.json()["coalition_wide"] is True
    own = client_b.post("/api/v1/tags/", {"name": "b-only"}, format="json").json()
    assert client_b.post("/api/v1/tags/", {"name": "b-only"}, format="json").status_code == 409
    assert sorted(t["name"] for t in client_b.get("/api/v1/tags/").json()) == ["b-only", "everyone"]
    assert [t["name"] for t in client_a.get("/api/v1/tags/").json()] == ["everyone"]
    assert client_b.patch(f"/api/v1/tags/{wide.json()['id']}/", {"name": "x"}, format="json").status_code == 404
    cid = create(client_b, given_name="Tia", emails=[{"address": "tia@x.org"}], tags=["everyone"])
    assert Tag.objects.count() == 2  # used the coalition-wide tag, created none
    added = client_b.post(f"{URL}{cid}/tags/", {"add": ["b-only", "new"], "remove": ["everyone"]}, format="json")
    assert added.json()["tags"] == ["b-only", "new"]
    renamed = client_b.patch(f"/api/v1/tags/{own['id']}/", {"name": "b-renamed"}, format="json")
    assert renamed.status_code == 200
    assert client_b.get(f"{URL}{cid}/").json()["tags"] == ["b-renamed", "new"]
    feed = client_b.get(f"{URL}changes/").json()["results"]
    assert feed[-1]["contact"]["tags"] == ["b-renamed", "new"]
    assert client_b.delete(f"/api/v1/tags/{own['id']}/").status_code == 204
    assert client_b.get(f"{URL}{cid}/").json()["tags"] == ["new"]
