"""The test of done: real OSDI clients, unchanged except for their base URL, against a real server process.

- parsons 6.1.0: parsons.ActionNetwork (parsons/action_network/action_network.py over
  parsons/utilities/api_connector.py). Its base URL lives in two attributes: `api_url` (used for upsert_person,
  update_person, add_tag) and `api.uri` (relative paths such as `people/<id>`), so both are set.
- osdi 0.3.1: osdi.action_network.service.ActionNetworkService(uri, api_key), whose models parse the id from the
  identifier containing "action" and follow `_links` and `_links.next`.
"""
import logging
import warnings

import pytest
from requests import HTTPError
from osdi.action_network.person import ANPerson
from osdi.action_network.service import ActionNetworkService

with warnings.catch_warnings():  # parsons warns on import that its optional connectors' extras are not installed
    warnings.simplefilter("ignore", RuntimeWarning)
    from parsons import ActionNetwork

from contacts.models import Contact, Tagging
from events.models import Signup
from tests.events.builders import make_event
from tests.webforms.factories import make_form
from webforms.models import Submission
from organizations.models import Coalition, Organization
from organizations.services import api_key_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def partner():
    coalition = Coalition.objects.create(name="Client Coalition", slug="client-coalition")
    org = Organization.objects.create(coalition=coalition, slug="partner", name="Partner", short_name="partner")
    other = Organization.objects.create(coalition=coalition, slug="other", name="Other", short_name="other")
    _, plain = api_key_create(organization=org, name="parsons")
    _, other_plain = api_key_create(organization=other, name="other")
    return org, plain, other_plain


def parsons_for(base_url, token):
    an = ActionNetwork(api_token=token)
    an.api_url = base_url
    an.api.uri = base_url + "/"
    return an


def an_id(record):
    return next(i.split(":")[1] for i in record["identifiers"] if "action_network:" in i)


def test_parsons_action_network_connector(osdi_server, partner, caplog):
    caplog.set_level(logging.INFO, logger="parsons")
    org, token, other_token = partner
    an = parsons_for(osdi_server, token)

    # create, then match: the same email is the same person
    first = an.upsert_person(email_address="ana@example.org", given_name="Ana", family_name="Ruiz",
                             tags=["volunteer"], school="Weaver High")
    pid = an_id(first)
    assert "successfully added" in caplog.text
    again = an.upsert_person(email_address=[{"address": "ana@example.org", "status": "subscribed"}],
                             given_name="Ana", mobile_number="860-555-0101")
    assert an_id(again) == pid
    assert Contact.objects.count() == 1
    person = an.get_person(pid)
    assert person["given_name"] == "Ana" and person["custom_fields"] == {"school": "Weaver High"}
    assert person["email_addresses"][0]["status"] == "subscribed"
    assert person["phone_numbers"][0]["number"] == "+18605550101"

    an.update_person(pid, family_name="Ruiz-Lopez", custom_fields={"grade": "11"})
    assert an.get_person(pid)["family_name"] == "Ruiz-Lopez"

    # several pages: parsons reads pages until an empty one comes back
    for n in range(6):
        an.upsert_person(email_address=f"p{n}@example.org", given_name=f"P{n}")
    table = an.get_people(per_page=2)
    assert table.num_rows == 7
    assert len({an_id({"identifiers": i}) for i in table["identifiers"]}) == 7
    assert an.get_people(per_page=2, page=99)["_embedded"]["osdi:people"] == []
    limited = an.get_people(limit=3, per_page=2)
    assert limited.num_rows == 3
    found = an.get_people(filter="email_address eq 'ana@example.org'")
    assert [an_id({"identifiers": i}) for i in found["identifiers"]] == [pid]
    assert an.get_people(filter="modified_date gt '2000-01-01'").num_rows == 7
    assert an.get_people(filter="modified_date lt '2000-01-01'").num_rows == 0

    # tags and taggings, with a person link on Action Network's host (only the id at the end counts)
    tag = an.add_tag("Parent leader")
    tag_id = an_id(tag)
    assert sorted(an.get_tags()["name"]) == ["Parent leader", "volunteer"]
    an.create_tagging(tag_id, {"_links": {"osdi:person": {
        "href": f"https://actionnetwork.org/api/v2/people/{pid}"}}})
    taggings = an.get_taggings(tag_id)
    assert taggings.num_rows == 1
    tagging_id = an_id({"identifiers": taggings[0]["identifiers"]})
    assert an.get_tagging(tag_id, tagging_id)["_links"]["osdi:person"]["href"].endswith(pid)
    an.delete_tagging(tag_id, tagging_id)
    assert an.get_taggings(tag_id).num_rows == 0
    assert sorted(Tagging.objects.values_list("tag__name", flat=True)) == ["volunteer"]

    # another organization's key sees none of it
    stranger = parsons_for(osdi_server, other_token)
    assert stranger.get_people().num_rows == 0
    with pytest.raises(Exception, match="404"):
        stranger.get_person(pid)


def test_osdi_package_action_network_service(osdi_server, partner):
    org, token, _ = partner
    parsons_for(osdi_server, token).add_tag("Parent leader")
    service = ActionNetworkService(osdi_server, token)  # reads every tag on construction
    assert list(service.tags_by_name) == ["Parent leader"]

    created = service.create_person("Bo", "Li", "bo@example.org", custom_fields={"school": "Bulkeley"},
                                    model=ANPerson)
    assert created.id == str(Contact.objects.get().pk)
    assert created.custom_fields == {"school": "Bulkeley"} and created.tags == {}
    matched = service.find_person(email="BO@example.org", model=ANPerson)
    assert matched.id == created.id
    assert service.find_person(an_id=created.id, model=ANPerson).email == "bo@example.org"
    assert service.get_person({"email_address": "nobody@example.org"}) is None

    matched.update_tag("Parent leader", True)
    matched.update_field("grade", "12")
    matched.update()
    reread = service.person_by_id(created.id, model=ANPerson)
    assert list(reread.tags) == ["Parent leader"]
    assert reread.custom_fields == {"school": "Bulkeley", "grade": "12"}

    reread.update_tag("Parent leader", False)   # deletes through the tagging's self link
    reread.update()
    assert service.person_by_id(created.id, model=ANPerson).tags == {}

    for n in range(4):
        service.create_person(f"P{n}", "X", f"p{n}@example.org")
    everyone = service.get_model_raw("people", "osdi:people", params={"per_page": 2})
    assert len({person["identifiers"][0] for person in everyone}) == 5


def test_parsons_lists_events_and_attendances(osdi_server, partner):
    org, token, other_token = partner
    an = parsons_for(osdi_server, token)
    events = [make_event(org, days=d, title=f"Rally {d}") for d in (3, 4, 5)]
    listed = an.get_events(per_page=2)
    assert sorted(listed["title"]) == ["Rally 3", "Rally 4", "Rally 5"]
    assert an.get_event(str(events[0].pk))["location"]["locality"] == "Hartford"
    assert an.get_events(filter="start_date gt '2000-01-01'").num_rows == 3

    person = an.upsert_person(email_address="dee@example.org", given_name="Dee")
    link = {"_links": {"osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{an_id(person)}"}}}
    # parsons' create_attendance sends its payload as query parameters (params=payload): no body reaches any
    # server, and ours says so with a 400 instead of guessing
    with pytest.raises(HTTPError, match="400"):
        an.create_attendance(str(events[0].pk), link)
    recorded = an.api.post_request(f"events/{events[0].pk}/attendances", json=link)
    assert recorded["status"] == "accepted"
    attendances = an.get_event_attendances(str(events[0].pk))
    assert attendances.num_rows == 1
    assert an.get_person_attendances(an_id(person)).num_rows == 1
    assert Signup.objects.get().contact_id == Contact.objects.get().pk
    make_event(org, title="Staff meeting", visibility="private")
    assert an.get_events().num_rows == 4
    stranger = parsons_for(osdi_server, other_token)  # another member: coalition events yes, private no
    assert sorted(stranger.get_events()["title"]) == ["Rally 3", "Rally 4", "Rally 5"]
    assert stranger.get_event_attendances(str(events[0].pk)).num_rows == 0


def test_parsons_records_submissions_and_reads_petitions(osdi_server, partner):
    org, token, _ = partner
    an = parsons_for(osdi_server, token)
    form = make_form(org, slug="volunteer", kind="volunteer", title="Volunteer with us")
    petition = make_form(org, slug="close-the-gap")
    person = an.upsert_person(email_address="eve@example.org", given_name="Eve", family_name="Ng",
                              postal_addresses=[{"postal_code": "06106"}])
    assert [f["title"] for f in an.get_forms()] == ["Volunteer with us"]
    # parsons' create_submission links the person on actionnetwork.org: only the id at the end counts
    submission = an.create_submission(str(form.pk), an_id(person))
    assert submission["_links"]["osdi:person"]["href"].endswith(an_id(person))
    assert an.get_form_submissions(str(form.pk)).num_rows == 1
    assert an.get_person_submissions(an_id(person)).num_rows == 1
    assert Submission.objects.get(form=form).contact_id == Contact.objects.get().pk

    assert [p["title"] for p in an.get_petitions()] == ["Close the gap"]
    link = {"_links": {"osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{an_id(person)}"}}}
    with pytest.raises(HTTPError, match="400"):   # create_signature has the same params=payload slip
        an.create_signature(str(petition.pk), link)
    an.api.post_request(f"petitions/{petition.pk}/signatures", json=link)
    an.api.post_request(f"petitions/{petition.pk}/signatures", json=link)  # signing twice: one signature
    assert an.get_petition_signatures(str(petition.pk)).num_rows == 1
    assert an.get_petition(str(petition.pk))["total_signatures"] == 1
