"""POST /api/v1/contacts/bulk/: per-record results, good records stored, bad ones leave nothing behind."""
import pytest

from contacts.models import Contact, ContactEmail, OrganizationContact

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/bulk/"


def bulk(client, records):
    return client.post(URL, {"records": records}, format="json")


def test_per_record_results_and_partial_success(client_a):
    records = [
        {"given_name": "Ok", "emails": [{"address": "ok@x.org"}], "tags": ["t1"]},
        {"given_name": "Bad", "emails": [{"address": "nope"}]},
        {"given_name": "Ok2", "external_id": "e2", "phones": [{"number": "860-555-0143"}]},
        {"given_name": "Dup", "external_id": "e2", "emails": [{"address": "other@x.org"}]},  # matches record 2
        {"given_name": "Ok", "emails": [{"address": "OK@X.ORG"}]},  # same person as record 0 (domain case)
        "not an object",
    ]
    response = bulk(client_a, records)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "created", "updated", "unchanged", "error"]
    assert results[1]["errors"] == {"records[1].emails[0].address": ["'nope' is not a valid email address"]}
    assert results[5]["errors"] == {"records[5]": ["must be an object"]}
    assert results[3]["id"] == results[2]["id"] and results[3]["match"] == "external_id"
    assert results[4]["id"] == results[0]["id"] and results[4]["match"] == "email"
    assert response.json()["summary"] == {"created": 2, "error": 2, "updated": 1, "unchanged": 1}
    assert Contact.objects.count() == 2
    assert not ContactEmail.objects.filter(address="nope").exists()


def test_a_record_the_database_refuses_leaves_nothing_half_written(client_a):
    """A value only PostgreSQL rejects (a NUL escape inside JSON) fails that record alone: the batch is re-run
    one record per savepoint, so its contact, email and link are all absent and the others are stored."""
    response = bulk(client_a, [
        {"given_name": "Good", "emails": [{"address": "good@x.org"}]},
        {"given_name": "Broken", "emails": [{"address": "broken@x.org"}], "custom_fields": {"x": "a\u0000b"}},
        {"given_name": "Fine", "phones": [{"number": "2035550111"}]},
    ])
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "created"]
    assert results[1]["code"] == "not_stored"
    assert sorted(Contact.objects.values_list("given_name", flat=True)) == ["Fine", "Good"]
    assert not ContactEmail.objects.filter(address="broken@x.org").exists()


def test_patch_with_another_contacts_external_id_is_a_conflict_and_changes_nothing(client_a):
    ids = [r["id"] for r in bulk(client_a, [{"given_name": "A", "external_id": "a"},
                                            {"given_name": "B", "external_id": "b"}]).json()["results"]]
    response = client_a.patch(f"/api/v1/contacts/{ids[1]}/", {"external_id": "a", "phones": [
        {"number": "2035550111"}]}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {"external_id": ["external_id 'a' belongs to another of your contacts"]}
    b = Contact.objects.get(pk=ids[1])
    assert not b.phones.exists() and OrganizationContact.objects.get(contact=b).external_id == "b"


def test_too_many_records_and_non_json(client_a):
    response = bulk(client_a, [{"given_name": "x"}] * 1001)
    assert response.status_code == 400
    assert "records" in response.json()["error"]["fields"]
    assert "1001" in response.json()["error"]["fields"]["records"][0]
    raw = client_a.post(URL, "[{", content_type="application/json")
    assert raw.status_code == 400 and raw.json()["error"]["code"] == "parse_error"
    assert client_a.post(URL, {"records": "x"}, format="json").status_code == 400


def test_a_bare_list_and_a_full_page_of_1000(client_a):
    records = [{"given_name": f"N{i}", "family_name": "Ngô", "external_id": f"n{i}",
                "emails": [{"address": f"n{i}@x.org"}], "phones": [{"number": f"+1860555{i:04d}"}],
                "addresses": [{"line1": f"{i + 1} Elm St", "city": "Hartford", "state": "CT", "postal_code": "06105"}],
                "tags": ["sync"], "consents": [{"channel": "email", "status": "opt_in", "text": "ok"}]}
               for i in range(1000)]
    response = client_a.post(URL, records, format="json")
    assert response.json()["summary"] == {"created": 1000}
    again = client_a.post(URL, records, format="json")
    assert again.json()["summary"] == {"unchanged": 1000}
    assert Contact.objects.count() == 1000


def test_bulk_never_reveals_what_another_member_holds(client_a, client_b):
    """B's write that matches A's private contact says "created" (from B's point of view) and B sees only
    what B supplied."""
    a = bulk(client_a, [{"given_name": "Pat", "family_name": "Secret", "emails": [{"address": "pat@x.org"}],
                         "phones": [{"number": "8605550177"}], "notes": "A only", "tags": ["a-private"],
                         "external_id": "A-9"}]).json()["results"][0]
    b = bulk(client_b, [{"given_name": "Pat", "emails": [{"address": "pat@x.org"}]}]).json()["results"][0]
    assert b["status"] == "created" and b["match"] is None
    assert b["id"] == a["id"]  # one human, one contact
    seen = client_b.get(f"/api/v1/contacts/{b['id']}/").json()
    assert seen["phones"] == [] and seen["notes"] == "" and seen["tags"] == [] and seen["external_id"] is None


def _page(n=60):
    from contacts.inputs import validate_people

    people, errors = validate_people([{"given_name": "Lea" if i == 0 else f"P{i}", "family_name": f"F{i}",
                                       "emails": [{"address": f"p{i}@x.org"}], "tags": ["t"]} for i in range(n)])
    assert not errors
    return [people[i] for i in range(n)]


def _counting_decides(monkeypatch):
    from contacts import batch

    calls = []
    decide = batch.BatchUpsert._decide
    monkeypatch.setattr(batch.BatchUpsert, "_decide", lambda self, *a: calls.append(1) or decide(self, *a))
    return calls


def test_a_page_is_decided_before_the_lock_and_again_if_its_reads_changed_meanwhile(org_a, monkeypatch):
    """Another writer stores record 0's email while the page is decided (before the coalition lock): under the
    lock the page's reads differ, so it is decided again and record 0 matches that contact."""
    from contacts import batch

    real_lock = batch.lock_coalition
    concurrent = []

    def write_then_lock(coalition_id):
        contact = Contact.objects.create(coalition_id=coalition_id, given_name="Lea", family_name="Early")
        ContactEmail.objects.create(contact=contact, address="p0@x.org", normalized="p0@x.org", supplied_by=[])
        concurrent.append(contact)
        real_lock(coalition_id)

    monkeypatch.setattr(batch, "lock_coalition", write_then_lock)
    decides = _counting_decides(monkeypatch)
    results = batch.batch_upsert(organization=org_a, people=_page())
    assert len(decides) == 2
    assert results[0].contact.pk == concurrent[0].pk and results[0].rule == "email"
    assert [r.outcome for r in results[1:]] == ["created"] * 59
    assert ContactEmail.objects.filter(normalized="p0@x.org").count() == 1
    assert Contact.objects.count() == 60 and OrganizationContact.objects.filter(organization=org_a).count() == 60


def test_a_page_nobody_else_touched_is_decided_once(org_a, monkeypatch):
    from contacts import batch

    decides = _counting_decides(monkeypatch)
    batch.batch_upsert(organization=org_a, people=_page())
    again = batch.batch_upsert(organization=org_a, people=_page())  # matches: the state of 60 contacts is read
    assert len(decides) == 2 and [r.outcome for r in again] == ["unchanged"] * 60
