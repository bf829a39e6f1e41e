"""Turfs and call lists assigned to canvass / phone-bank shifts, and segments by event or hearing participation,
each through the events and testimony apps' own visibility rules."""
import uuid

import pytest

from events.models import Event
from events.services import signup_create, signup_set_status
from organizations.models import AuditEvent
from testimony import services as testimony_services
from tests.events.builders import make_event
from tests.testimony.builders import hearing, witness
from tests.turfs.helpers import person
from tests.turfs.test_api import cut_now, small_town
from turfs.selectors import segment_contacts

SHARED = [("email", "opt_in", "coalition")]  # a coalition-scope opt-in shares the person with every member


def shift_of(host, kind, **fields):
    event = make_event(host, kind=kind, title=f"{kind} day", shifts=[("walkers", 0, 3, None)], **fields)
    return event, event.shifts.get()


def ids(contacts):
    return {str(c.pk) for c in contacts}


# ------------------------------------------------------------------------------------------------ shifts

@pytest.mark.django_db
def test_a_turf_is_assigned_to_a_canvass_shift_and_a_volunteer(org_a, org_b, client_a):
    small_town(org_a)
    cut = cut_now(client_a)
    url = f"/api/v1/turfs/{cut['turfs'][0]['id']}/"
    volunteer = person(org_a, "Vera", "Volunteer", line1="", postal_code="")
    event, shift = shift_of(org_a, "canvass")
    both = client_a.patch(url, {"volunteer": str(volunteer.pk), "shift": str(shift.pk)}, format="json")
    assert both.status_code == 200, both.content
    assert (both.json()["volunteer"], both.json()["shift"], both.json()["shift_event"]) == (
        str(volunteer.pk), str(shift.pk), str(event.pk))
    assert [t["id"] for t in client_a.get(f"/api/v1/turfs/?shift={shift.pk}").json()["results"]] == [
        cut["turfs"][0]["id"]]
    assert client_a.get(f"/api/v1/turf-cuts/{cut['id']}/").json()["turfs"][0]["shift"] == str(shift.pk)
    audit = AuditEvent.objects.filter(organization=org_a, verb="turf.assigned").first()
    assert audit.details == {"volunteer": str(volunteer.pk), "shift": str(shift.pk)}
    # a field left out is left as it is; null unassigns
    unshifted = client_a.patch(url, {"shift": None}, format="json").json()
    assert (unshifted["volunteer"], unshifted["shift"], unshifted["shift_event"]) == (str(volunteer.pk), None, None)
    # another member's published coalition canvass is visible to org_a: its shift may be used
    _, their_shift = shift_of(org_b, "canvass")
    assert client_a.patch(url, {"shift": str(their_shift.pk)}, format="json").json()["shift"] == str(their_shift.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("which,code", [
    ("rally", "wrong_event_kind"), ("phone_bank", "wrong_event_kind"), ("private", "unknown_shift"),
    ("draft", "unknown_shift"), ("cancelled", "event_cancelled"), ("missing", "unknown_shift"),
    ("malformed", "validation_error"), ("nothing", "nothing_to_assign"),
])
def test_a_turf_shift_must_be_a_visible_canvass(org_a, org_b, client_a, which, code):
    small_town(org_a)
    cut = cut_now(client_a)
    url = f"/api/v1/turfs/{cut['turfs'][0]['id']}/"
    body = {"shift": {
        "rally": lambda: str(shift_of(org_a, "rally")[1].pk),
        "phone_bank": lambda: str(shift_of(org_a, "phone_bank")[1].pk),
        "private": lambda: str(shift_of(org_b, "canvass", visibility="private")[1].pk),
        "draft": lambda: str(shift_of(org_b, "canvass", status="draft")[1].pk),
        "cancelled": lambda: str(_cancelled(shift_of(org_a, "canvass")).pk),
        "missing": lambda: str(uuid.uuid4()),
        "malformed": lambda: "shift-one",
        "nothing": lambda: None,
    }[which]()}
    if which == "nothing":
        body = {}
    response = client_a.patch(url, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert ("volunteer" if which == "nothing" else "shift") in error["fields"]
    assert client_a.get(url).json()["shift"] is None


def _cancelled(event_and_shift):
    event, shift = event_and_shift
    Event.objects.filter(pk=event.pk).update(status="cancelled")
    return shift


@pytest.mark.django_db
def test_a_call_list_is_assigned_to_a_phone_bank_shift_only(org_a, client_a):
    person(org_a, "Cal", "Caller", phone="+18605550101", tags=["bank"], consents=[("call", "opt_in", "organization")])
    created = client_a.post("/api/v1/call-lists/", {"segment": {"tags": ["bank"]}, "size": 5}, format="json")
    url = f"/api/v1/call-lists/{created.json()['lists'][0]['id']}/"
    event, bank = shift_of(org_a, "phone_bank")
    assigned = client_a.patch(url, {"shift": str(bank.pk)}, format="json")
    assert assigned.status_code == 200, assigned.content
    assert (assigned.json()["shift"], assigned.json()["shift_event"]) == (str(bank.pk), str(event.pk))
    assert AuditEvent.objects.filter(organization=org_a, verb="calllist.assigned").first().details["shift"] == str(
        bank.pk)
    _, canvass = shift_of(org_a, "canvass")
    refused = client_a.patch(url, {"shift": str(canvass.pk)}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "wrong_event_kind"
    assert "shift" in refused.json()["error"]["fields"]
    assert client_a.get(url).json()["shift"] == str(bank.pk)


# ------------------------------------------------------------------------------------------------ events

def _signed_up(event, organization, contact, status=None):
    signup = signup_create(event=event, organization=organization, contact=contact, notify=False).signup
    if status:
        signup = signup_set_status(signup=signup, status=status)
    return signup


@pytest.mark.django_db
def test_event_segment_follows_the_events_sharing_rule(org_a, org_b, make_org):
    org_c = make_org("Org C")
    host_recruit = person(org_a, "Hal", "Host", consents=SHARED)
    dropped = person(org_a, "Dee", "Dropped", consents=SHARED)
    b_recruit = person(org_b, "Bea", "Bee", consents=SHARED)
    bystander = person(org_a, "Nora", "None", consents=SHARED)
    assert all(c in segment_contacts(org_b, {}) for c in (host_recruit, dropped, b_recruit, bystander))
    event = make_event(org_a, co_hosts=[(org_b, "totals"), (org_c, "all")])
    _signed_up(event, org_a, host_recruit)
    _signed_up(event, org_a, dropped, status="cancelled")
    _signed_up(event, org_b, b_recruit)
    assert ids(segment_contacts(org_a, {"event": str(event.pk)})) == ids([host_recruit, dropped, b_recruit])
    assert ids(segment_contacts(org_a, {"event": {"id": str(event.pk), "statuses": ["cancelled"]}})) == ids(
        [dropped])
    assert ids(segment_contacts(org_a, {"event": {"id": str(event.pk), "statuses": ["registered", "attended"]},
                                        "contacts": [str(host_recruit.pk), str(dropped.pk)]})) == ids([host_recruit])
    # a totals co-host sees (and so segments) only the people it recruited, though it can see the others
    assert ids(segment_contacts(org_b, {"event": str(event.pk)})) == ids([b_recruit])
    # an `all` co-host segments everyone signed up
    assert ids(segment_contacts(org_c, {"event": str(event.pk)})) == ids([host_recruit, dropped, b_recruit])


@pytest.mark.django_db
def test_a_cut_by_event_uses_only_the_callers_visible_signups(org_a, org_b, client_b):
    event = make_event(org_a, co_hosts=[(org_b, "totals")])
    hidden = person(org_a, "Hid", "Den", line1="1 Main St", consents=SHARED)
    _signed_up(event, org_a, hidden)
    empty = client_b.post("/api/v1/turf-cuts/", {"segment": {"event": str(event.pk)}}, format="json")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "empty_segment"
    mine = person(org_b, "Min", "E", line1="2 Main St")
    _signed_up(event, org_b, mine)
    started = client_b.post("/api/v1/turf-cuts/", {"segment": {"event": str(event.pk)}, "target": 5},
                            format="json")
    assert started.status_code == 202, started.content


@pytest.mark.django_db
@pytest.mark.parametrize("segment,field,code", [
    ({"event": "not-an-id"}, "segment.event", "invalid_segment"),
    ({"event": 7}, "segment.event", "invalid_segment"),
    ({"event": {"id": "EVENT", "colour": "red"}}, "segment.event", "invalid_segment"),
    ({"event": str(uuid.UUID(int=1))}, "segment.event", "unknown_event"),
    ({"event": "PRIVATE"}, "segment.event", "unknown_event"),
    ({"event": {"id": "EVENT", "statuses": ["maybe"]}}, "segment.event.statuses", "invalid_segment"),
    ({"event": {"id": "EVENT", "statuses": []}}, "segment.event.statuses", "invalid_segment"),
    ({"hearing": "not-an-id"}, "segment.hearing", "invalid_segment"),
    ({"hearing": str(uuid.UUID(int=1))}, "segment.hearing", "unknown_hearing"),
    ({"hearing": "PRIVATE_HEARING"}, "segment.hearing", "unknown_hearing"),
    ({"hearing": {"id": "HEARING", "statuses": ["won"]}}, "segment.hearing.statuses", "invalid_segment"),
])
def test_bad_participation_filters_are_400_naming_the_field(org_a, org_b, client_a, segment, field, code):
    small_town(org_a)
    names = {"EVENT": str(make_event(org_a).pk),
             "PRIVATE": str(make_event(org_b, visibility="private").pk),
             "HEARING": str(hearing(org_a).pk),
             "PRIVATE_HEARING": str(hearing(org_b, visibility="private").pk)}

    def resolve(value):
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return names.get(value, value) if isinstance(value, str) else value

    segment = resolve(segment)
    for url, body in (("/api/v1/turf-cuts/", {"segment": segment}), ("/api/v1/call-lists/", {"segment": segment})):
        response = client_a.post(url, body, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == code
        assert field in response.json()["error"]["fields"]


# ------------------------------------------------------------------------------------------------ hearings

@pytest.mark.django_db
def test_hearing_segment_is_the_callers_own_witnesses(org_a, org_b):
    heard = hearing(org_a, visibility="coalition")
    ours = witness(heard, org_a, "Ana", "Lopez")
    drafting = witness(heard, org_a, "Dru", "Draft")
    testimony_services.testimony_transition(testimony=drafting, to="drafting")
    theirs = witness(heard, org_b, "Ben", "Other")
    other_hearing = hearing(org_a, committee="Judiciary")
    witness(other_hearing, org_a, "Ola", "Elsewhere")
    assert ids(segment_contacts(org_a, {"hearing": str(heard.pk)})) == {str(ours.contact_id),
                                                                          str(drafting.contact_id)}
    assert ids(segment_contacts(org_a, {"hearing": {"id": str(heard.pk), "statuses": ["drafting"]}})) == {
        str(drafting.contact_id)}
    # org_b sees the hearing but only its own witness, even if it could see org_a's people
    assert ids(segment_contacts(org_b, {"hearing": str(heard.pk)})) == {str(theirs.contact_id)}
    combined = segment_contacts(org_a, {"hearing": str(heard.pk), "event": str(make_event(org_a).pk)})
    assert not combined.exists()
