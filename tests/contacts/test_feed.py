"""GET /api/v1/contacts/changes/: a partner following the feed from the start, while writers run, ends with
exactly the set and values of a full listing."""
import random
import threading

import pytest
from django.db import connection

from tests.support import client_for

URL = "/api/v1/contacts/"


def follow(client, state, cursor):
    while True:
        page = client.get(f"{URL}changes/", {"cursor": cursor, "page_size": 37}).json()
        for event in page["results"]:
            if event["kind"] in ("created", "updated"):
                state[event["id"]] = event["contact"]
            else:
                state.pop(event["id"], None)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return cursor


def full_listing(client):
    found, url = {}, f"{URL}?page_size=200"
    while url:
        page = client.get(url).json()
        found.update({c["id"]: c for c in page["results"]})
        url = page["next"]
    return found


def _writer(org, seed, rounds, done, errors):
    try:
        rng = random.Random(seed)
        client = client_for(org)
        ids = []
        for round_ in range(rounds):
            records = []
            for i in range(10):
                n = rng.randrange(60)  # overlapping people: later rounds match earlier ones
                consents = []
                if rng.random() < 0.3:
                    consents = [{"channel": rng.choice(["email", "sms"]), "scope": "coalition",
                                 "status": rng.choice(["opt_in", "opt_out"]), "text": f"share {round_}"}]
                records.append({"given_name": f"P{n}", "family_name": "Feed", "emails": [{"address": f"p{n}@x.org"}],
                                "notes": f"{org.slug} round {round_}", "tags": [f"r{round_ % 3}"],
                                "consents": consents})
            response = client.post(f"{URL}bulk/", {"records": records}, format="json")
            assert response.status_code == 200, response.content
            results = response.json()["results"]
            ids += [r["id"] for r in results if r["id"]]
            if ids and rng.random() < 0.4:
                response = client.patch(f"{URL}{rng.choice(ids)}/", {"given_name": f"Renamed{round_}"},
                                        format="json")
                assert response.status_code in (200, 404), response.content
            if ids and rng.random() < 0.2:
                assert client.delete(f"{URL}{rng.choice(ids)}/").status_code in (204, 404)
            if len(ids) > 2 and rng.random() < 0.1:
                a, b = rng.sample(ids, 2)
                response = client.post(f"{URL}{a}/merge/", {"other": b}, format="json")
                assert response.status_code in (200, 400, 404, 409), response.content
    except BaseException as exc:
        errors.append(exc)
    finally:
        connection.close()
        done.append(seed)


@pytest.mark.django_db(transaction=True)
def test_following_the_feed_while_writers_run_equals_the_full_listing(org_a, org_b):
    readers = {org: client_for(org) for org in (org_a, org_b)}
    states = {org: {} for org in readers}
    cursors = {org: 0 for org in readers}
    done, errors = [], []
    writers = [threading.Thread(target=_writer, args=(org, seed, 12, done, errors))
               for seed, org in enumerate([org_a, org_a, org_b])]
    for thread in writers:
        thread.start()
    while len(done) < len(writers):  # read while the writers write
        for org, client in readers.items():
            cursors[org] = follow(client, states[org], cursors[org])
    for thread in writers:
        thread.join()
    assert not errors, errors
    for org, client in readers.items():
        follow(client, states[org], cursors[org])
        listing = full_listing(client)
        assert len(listing) > 10
        assert states[org] == listing, org.slug
    # B saw A's contacts only when shared: nothing A-private ever reached B's final state
    assert all("alpha round" not in (c["notes"] or "") for c in states[org_b].values())


@pytest.mark.django_db
def test_feed_cursor_and_bad_input(client_a):
    client_a.post(f"{URL}bulk/", {"records": [{"given_name": f"F{i}", "external_id": f"f{i}"} for i in range(5)]},
                  format="json")
    first = client_a.get(f"{URL}changes/", {"page_size": 2}).json()
    assert [e["kind"] for e in first["results"]] == ["created", "created"] and first["has_more"]
    rest = client_a.get(f"{URL}changes/", {"cursor": first["next_cursor"]}).json()
    assert len(rest["results"]) == 3 and not rest["has_more"]
    exact = client_a.get(f"{URL}changes/", {"page_size": 5}).json()  # a page ending on the last change
    assert len(exact["results"]) == 5 and not exact["has_more"] and exact["next_cursor"] == rest["next_cursor"]
    assert client_a.get(f"{URL}changes/", {"cursor": "abc"}).status_code == 400


@pytest.mark.django_db
def test_feed_response_keeps_only_its_bytes(client_a):
    """The page's data is not kept once rendered (the JSON body is built by contacts.api.feed_body; the browsable
    API's drops it with api.renderers.released_after_render), not left to the cyclic GC."""
    client_a.post(f"{URL}bulk/", {"records": [{"given_name": "G", "external_id": "g1"}]}, format="json")
    response = client_a.get(f"{URL}changes/")
    assert response.json()["results"][0]["contact"]["given_name"] == "G"
    assert getattr(response, "data", None) is None


@pytest.mark.django_db
def test_feed_renders_a_holders_values_as_stored(client_a):
    """Custom fields keep any JSON number (read with the standard parser, not orjson's 64-bit one); timestamps are
    the ones every other contact response shows."""
    fields = {"big": 2 ** 70, "f": 1.5, "nested": [{"a": None}], "text": "line\u2028sep"}
    created = client_a.post(URL, {"given_name": "Cf", "custom_fields": fields,
                                  "addresses": [{"line1": "1 Main St", "city": "Hartford", "state": "CT",
                                                 "postal_code": "06106", "latitude": 41.75, "longitude": -72.7}]},
                            format="json").json()["contact"]
    event = client_a.get(f"{URL}changes/").json()["results"][-1]
    assert event["contact"] == created == client_a.get(f"{URL}{created['id']}/").json()
    assert event["contact"]["custom_fields"] == fields and event["contact"]["created_at"].endswith("Z")
    assert event["contact"]["addresses"][0]["latitude"] == 41.75


@pytest.mark.django_db
def test_feed_visibility_follows_visible_to(org_a, org_b, make_org):
    """contacts.changes.feed_page reads a page in plain SQL that repeats Contact.objects.visible_to: held, shared,
    neither, merged, erased, of another coalition; a change row kept for one organization; an unshared one."""
    import itertools

    from django.utils import timezone

    from contacts.changes import feed_page
    from contacts.models import Contact, ContactChange, OrganizationContact
    from organizations.models import Coalition

    org_c = make_org("charlie")
    other = Coalition.objects.create(name="Other", slug="other")
    contacts = []
    for shared, holders, state in itertools.product((False, True), ((), (org_a,), (org_b, org_c)),
                                                    ("live", "merged", "erased", "elsewhere")):
        contact = Contact.objects.create(coalition=other if state == "elsewhere" else org_a.coalition,
                                         given_name=f"{shared} {len(holders)} {state}", coalition_shared=shared)
        for holder in holders:
            OrganizationContact.objects.create(organization=holder, contact=contact)
        contacts.append((contact, state))
    survivor = contacts[0][0]
    for contact, state in contacts:
        if state == "merged":
            contact.merged_into = survivor
        contact.erased_at = timezone.now() if state == "erased" else None
        contact.save()
        ContactChange.objects.create(coalition_id=org_a.coalition_id, contact=contact, kind="updated")
    kept_for_b, unshared = contacts[1][0], contacts[2][0]
    ContactChange.objects.create(coalition_id=org_a.coalition_id, contact=kept_for_b, kind="deleted",
                                 organization=org_b)
    ContactChange.objects.create(coalition_id=org_a.coalition_id, contact=unshared, kind="updated",
                                 details={"unshared": True})
    for organization in (org_a, org_b, org_c):
        events, _, more = feed_page(organization, 0, 1000)
        assert not more
        visible = {str(pk) for pk in Contact.objects.visible_to(organization).values_list("pk", flat=True)}
        assert {e["id"] for e in events if e["contact"]} == visible & {str(c.pk) for c, _ in contacts}
        assert [e["kind"] for e in events if e["id"] == str(kept_for_b.pk) and not e["contact"]] == \
            (["deleted"] if organization == org_b and str(kept_for_b.pk) not in visible else [])
        if str(unshared.pk) not in visible:
            assert events[-1] == {"seq": events[-1]["seq"], "kind": "deleted", "id": str(unshared.pk),
                                  "contact": None}


@pytest.mark.django_db
def test_a_full_page_is_read_ahead_for_its_organization_only(org_a, org_b):
    from contacts import readahead

    client_a, client_b = client_for(org_a), client_for(org_b)
    client_a.post(f"{URL}bulk/", {"records": [{"given_name": f"R{i}", "external_id": f"r{i}"} for i in range(5)]},
                  format="json")
    first = client_a.get(f"{URL}changes/", {"page_size": 2}).json()  # full: the next page is rendered after it
    cursor = int(first["next_cursor"])
    kept = readahead.kept_page(org_a, cursor, 2)
    assert kept is not None and kept[1] > cursor
    assert readahead.kept_page(org_b, cursor, 2) is None, "kept per organization"
    second = client_b.get(f"{URL}changes/", {"cursor": cursor, "page_size": 2}).json()
    assert second["results"] == [], "B renders its own page: A's contacts are not shared"

    renamed = client_a.get(f"{URL}changes/", {"cursor": cursor, "page_size": 2}).json()["results"][0]
    client_a.patch(f"{URL}{renamed['id']}/", {"given_name": "Renamed"}, format="json")
    state = {}
    follow(client_a, state, 0)  # kept pages may show a contact as it was; its later event brings the new value
    assert state == full_listing(client_a) and state[renamed["id"]]["given_name"] == "Renamed"
