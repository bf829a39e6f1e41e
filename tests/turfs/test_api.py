"""Turf cuts, turfs, results and call lists through the API, against real PostgreSQL (and a real worker)."""
import math
import subprocess
import sys
import time

import psutil
import pytest

from jobs.models import Job
from jobs.services import job_dispatch
from tests.support import PROJECT_DIR, client_for, run_worker_burst, subprocess_env
from tests.turfs.helpers import person
from turfs.models import CanvassResult, Turf, TurfCut, TurfStop
from turfs.services import turf_cut_run

LAT, LON = 41.7637, -72.6851
SURVEY = [{"key": "funding", "question": "Do you support closing the funding gap?", "choices": ["yes", "no"]}]


def at(east_m, north_m):
    return LAT + north_m / 111_132.0, LON + east_m / (111_132.0 * math.cos(math.radians(LAT)))


def small_town(org):
    """24 doors on two streets (both sides), two people at 101 Main St, one person placed by ZIP only,
    one with no address at all. Everyone tagged "canvass"."""
    people = {}
    for street, north in (("Main St", 0), ("Elm St", 100)):
        for n in range(100, 112):
            lat, lon = at(8 * (n - 100), north + (-10 if n % 2 else 10))
            people[f"{n} {street}"] = person(org, f"P{n}{street[0]}", "Doe", line1=f"{n} {street}", lat=lat,
                                             lon=lon, tags=["canvass"])
    lat, lon = at(8, -10)
    people["101 Main St b"] = person(org, "Second", "Roe", line1="101 Main Street", lat=lat, lon=lon,
                                     tags=["canvass"])
    people["zip only"] = person(org, "Zippy", "Zed", line1="", postal_code="06106", tags=["canvass"])
    people["nowhere"] = person(org, "Nobody", "Nowhere", line1="", postal_code="", tags=["canvass"])
    return people


def run_cut(client, **body):
    response = client.post("/api/v1/turf-cuts/", {"segment": {"tags": ["canvass"]}, "target": 5, **body},
                           format="json")
    assert response.status_code == 202, response.content
    return response.json()


def cut_now(client, **body):
    """Start a cut through the API and run its job in-process (the worker path has its own test)."""
    started = run_cut(client, **body)
    turf_cut_run(turf_cut_id=started["turf_cut"], progress=lambda pct, msg="": None)
    return client.get(f"/api/v1/turf-cuts/{started['turf_cut']}/").json()


def stop_keys(cut_id):
    return [(s.turf.number, s.position, s.household_key, tuple(sorted(map(str, s.contacts))))
            for s in TurfStop.objects.filter(turf__cut_id=cut_id).select_related("turf")
            .order_by("turf__number", "position")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_cut_runs_through_a_real_worker_and_gives_turfs_stops_csv_and_pdf(make_org):
    org = make_org("walkers")
    client = client_for(org)
    people = small_town(org)
    started = run_cut(client, name="Before the hearing", survey=SURVEY)
    assert started["kind"] == "turfs.cut" and started["status"] == "queued"

    run_worker_burst()

    job = client.get(f"/api/v1/jobs/{started['id']}/").json()
    assert (job["status"], job["progress"]) == ("finished", 100), job
    cut = client.get(f"/api/v1/turf-cuts/{started['turf_cut']}/").json()
    assert cut["status"] == "finished"
    stats = cut["stats"]
    assert stats["households"] == 25 and stats["turfs"] == 5  # 24 doors + the ZIP-placed person
    assert all(4 <= t["doors"] <= 6 for t in cut["turfs"])
    assert {"min", "median", "max"} <= set(stats["doors"])
    assert len(stats["distance_m"]["per_turf"]) == 5 and stats["distance_m"]["total"] > 0
    assert [u["contact"] for u in cut["unplaced"]] == [str(people["nowhere"].pk)]
    assert cut["approximate_contacts"] == [str(people["zip only"].pk)]

    # a turf: its stops in walk order with the people at each
    turf = next(t for t in cut["turfs"] if any(
        s for s in client.get(f"/api/v1/turfs/{t['id']}/").json()["stops"] if len(s["people"]) == 2))
    detail = client.get(f"/api/v1/turfs/{turf['id']}/").json()
    assert [s["position"] for s in detail["stops"]] == list(range(1, len(detail["stops"]) + 1))
    double = next(s for s in detail["stops"] if len(s["people"]) == 2)
    assert double["label"] == "101 MAIN ST"
    assert {p["contact"] for p in double["people"]} == {str(people["101 Main St"].pk),
                                                        str(people["101 Main St b"].pk)}
    assert detail["survey"] == SURVEY

    csv_text = client.get(f"/api/v1/turfs/{turf['id']}/walk-list/").content.decode()
    rows = csv_text.strip().splitlines()
    assert rows[0].startswith("turf,stop,address") and len(rows) == 1 + detail["people"]
    whole = client.get(f"/api/v1/turf-cuts/{started['turf_cut']}/walk-list/")
    assert whole["Content-Type"].startswith("text/csv")
    assert len(whole.content.decode().strip().splitlines()) == 1 + 26  # every placed person once

    pdf = client.get(f"/api/v1/turfs/{turf['id']}/walk-sheet/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 1500


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_writing_leaves_no_turfs_and_the_retry_writes_the_same_cut(make_org):
    org = make_org("killers")
    client = client_for(org)
    small_town(org)
    started = run_cut(client)
    worker = subprocess.Popen(
        [sys.executable, str(PROJECT_DIR / "manage.py"), "rqworker", "--burst", "default"],
        env=subprocess_env(TURFS_FAULT_PAUSE_IN_WRITE="60"), cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not Job.objects.get(pk=started["id"]).message.startswith("writing"):
            assert time.monotonic() < deadline, "the job never reached its write"
            time.sleep(0.2)
        time.sleep(1.0)  # the turfs are inserted, the transaction is open and sleeping
        horses = psutil.Process(worker.pid).children(recursive=True)  # rq forks the work horse in its own session
        assert horses, "the work horse should be running"
        for process in [psutil.Process(worker.pid), *horses]:
            process.kill()  # SIGKILL, mid-transaction
        psutil.wait_procs(horses, timeout=10)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert Turf.objects.filter(cut_id=started["turf_cut"]).count() == 0
    assert TurfStop.objects.filter(turf__cut_id=started["turf_cut"]).count() == 0
    assert TurfCut.objects.get(pk=started["turf_cut"]).cut_at is None
    assert Job.objects.get(pk=started["id"]).status == "running"

    job_dispatch(Job.objects.get(pk=started["id"]))  # the retry
    run_worker_burst()
    assert Job.objects.get(pk=started["id"]).status == "finished"
    assert Turf.objects.filter(cut_id=started["turf_cut"]).count() == 5
    again = run_cut(client)  # a fresh cut of the same segment: the same turfs
    turf_cut_run(turf_cut_id=again["turf_cut"], progress=lambda pct, msg="": None)
    assert stop_keys(again["turf_cut"]) == stop_keys(started["turf_cut"])


@pytest.mark.django_db
def test_rerunning_the_same_cut_gives_the_same_turfs(org_a, client_a):
    small_town(org_a)
    first, second = cut_now(client_a), cut_now(client_a)
    assert stop_keys(first["id"]) == stop_keys(second["id"]) != []
    # and the job handler is idempotent: a second run of a written cut writes nothing new
    turf_cut_run(turf_cut_id=first["id"], progress=lambda pct, msg="": None)
    assert Turf.objects.filter(cut_id=first["id"]).count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize("body,field,code", [
    ({"target": 0}, "target", "out_of_range"),
    ({"target": 100_000}, "target", "out_of_range"),
    ({"target": "fifty"}, "target", "out_of_range"),
    ({"segment": {"zips": ["06999"]}}, "segment", "empty_segment"),
    ({"segment": {"tags": ["no-such-tag"]}}, "segment.tags", "unknown_tag"),
    ({"segment": {"colour": ["red"]}}, "segment.colour", "invalid_segment"),
    ({"segment": {"events": ["x"]}}, "segment.events", "invalid_segment"),
    ({"segment": {"zips": ["nope"]}}, "segment.zips", "invalid_segment"),
    ({"segment": "everyone"}, "segment", "invalid_segment"),
    ({"survey": [{"key": "a", "question": "?"}, {"key": "a", "question": "?"}]}, "survey", "validation_error"),
])
def test_bad_cut_requests_are_400(org_a, client_a, body, field, code):
    small_town(org_a)
    response = client_a.post("/api/v1/turf-cuts/", {"segment": {"tags": ["canvass"]}, "target": 5, **body},
                             format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert field in response.json()["error"]["fields"]
    assert TurfCut.objects.count() == 0 and Job.objects.count() == 0


@pytest.mark.django_db
def test_a_segment_naming_contacts_the_caller_cannot_see_is_400(org_a, org_b, client_a):
    mine = person(org_a, "Mine", line1="10 Main St", lat=LAT, lon=LON)
    theirs = person(org_b, "Theirs", line1="12 Main St", lat=LAT, lon=LON)
    response = client_a.post("/api/v1/turf-cuts/", {"segment": {"contacts": [str(mine.pk), str(theirs.pk)]}},
                             format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "contacts_not_visible"
    assert "segment.contacts" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_cuts_never_read_other_organizations_contacts(org_a, org_b, client_a):
    lat, lon = at(0, 0)
    mine = person(org_a, "Mine", line1="10 Main St", lat=lat, lon=lon)
    person(org_b, "Private", line1="12 Main St", lat=lat, lon=lon)  # B's own: invisible to A
    shared = person(org_b, "Shared", line1="14 Main St", lat=lat, lon=lon,
                    consents=[("email", "opt_in", "coalition")])  # visible to A, but not its street address
    cut = cut_now(client_a, segment={"zips": ["06106"]})
    placed = {str(pk) for s in TurfStop.objects.filter(turf__cut_id=cut["id"]) for pk in s.contacts}
    assert placed == {str(mine.pk)}
    assert cut["unplaced"] == [{"contact": str(shared.pk), "reason": "street address not shared with your "
                                "organization", "address": "06106"}]


RESULT_URL = "/api/v1/turfs/{}/results/"


def _turf_with_double_door(client, cut):
    for turf in cut["turfs"]:
        detail = client.get(f"/api/v1/turfs/{turf['id']}/").json()
        for stop in detail["stops"]:
            if len(stop["people"]) == 2:
                return detail, stop
    raise AssertionError("no door with two people")


@pytest.mark.django_db
def test_results_flow_to_contacts_update_progress_and_resends_are_one(org_a, client_a):
    people = small_town(org_a)
    cut = cut_now(client_a, survey=SURVEY)
    turf, door = _turf_with_double_door(client_a, cut)
    other = next(s for s in turf["stops"] if s["id"] != door["id"])
    first = client_a.post(RESULT_URL.format(turf["id"]), {
        "stop": door["id"], "contact": str(people["101 Main St"].pk), "code": "talked", "support": 5,
        "answers": {"funding": "yes"}, "notes": "wants a yard sign", "canvasser": "Ana",
        "recorded_at": "2026-02-10T14:05:00-05:00", "client_id": "phone-1"}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["turf"]["doors_done"] == 1
    resend = client_a.post(RESULT_URL.format(turf["id"]), {
        "stop": door["id"], "contact": str(people["101 Main St"].pk), "code": "talked", "support": 5,
        "client_id": "phone-1"}, format="json")
    assert resend.json()["results"][0]["id"] == first.json()["results"][0]["id"]
    batch = client_a.post(RESULT_URL.format(turf["id"]), {"results": [
        {"position": other["position"], "code": "not_home", "canvasser": "Ana"}]}, format="json")
    assert batch.status_code == 201
    progress = batch.json()["turf"]
    assert progress["doors_done"] == 2 and progress["progress"] == round(200 / turf["doors"])

    activity = client_a.get(f"/api/v1/canvass-results/?contact={people['101 Main St'].pk}").json()["results"]
    assert [(r["code"], r["support"], r["answers"], r["notes"]) for r in activity] == [
        ("talked", 5, {"funding": "yes"}, "wants a yard sign")]
    everyone_there = CanvassResult.objects.filter(stop_id=other["id"]).values_list("contact_id", flat=True)
    assert sorted(map(str, everyone_there)) == sorted(p["contact"] for p in other["people"])
    assert client_a.get(RESULT_URL.format(turf["id"])).json()["results"][0]["code"] == "talked"


@pytest.mark.django_db
@pytest.mark.parametrize("item,field", [
    ({"code": "asleep"}, "results[0].code"),
    ({"code": "not_home", "support": 3}, "results[0].support"),
    ({"code": "talked", "support": 6}, "results[0].support"),
    ({"code": "talked", "answers": {"colour": "red"}}, "results[0].answers"),
    ({"code": "talked", "stop": 10 ** 9}, "results[0].stop"),
    ({"code": "talked", "contact": "00000000-0000-0000-0000-000000000001"}, "results[0].contact"),
    ({"code": "talked", "canvasser_contact": "00000000-0000-0000-0000-000000000001"},
     "results[0].canvasser_contact"),
])
def test_bad_results_are_400_and_record_nothing(org_a, client_a, item, field):
    small_town(org_a)
    cut = cut_now(client_a, survey=SURVEY)
    turf = client_a.get(f"/api/v1/turfs/{cut['turfs'][0]['id']}/").json()
    body = {"results": [{"stop": turf["stops"][0]["id"], **item}]}
    response = client_a.post(RESULT_URL.format(turf["id"]), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()
    assert CanvassResult.objects.count() == 0


@pytest.mark.django_db
def test_moved_and_refused_are_honoured_by_the_next_cut(org_a, client_a):
    people = small_town(org_a)
    cut = cut_now(client_a)
    by_contact = {pk: s for s in TurfStop.objects.filter(turf__cut_id=cut["id"]) for pk in map(str, s.contacts)}
    refused, moved = str(people["100 Main St"].pk), str(people["104 Elm St"].pk)
    for contact, code in ((refused, "refused"), (moved, "moved")):
        stop = by_contact[contact]
        response = client_a.post(RESULT_URL.format(stop.turf_id), {"stop": stop.pk, "contact": contact,
                                                                   "code": code}, format="json")
        assert response.status_code == 201
    again = cut_now(client_a)
    placed = {str(pk) for s in TurfStop.objects.filter(turf__cut_id=again["id"]) for pk in s.contacts}
    assert refused not in placed and moved not in placed
    assert {e["contact"] for e in again["excluded"]} == {refused, moved}
    assert again["stats"]["households"] == 23


@pytest.mark.django_db
def test_turfs_are_assigned_to_a_visible_volunteer(org_a, org_b, client_a):
    small_town(org_a)
    cut = cut_now(client_a)
    volunteer = person(org_a, "Vera", "Volunteer", line1="", postal_code="")
    stranger = person(org_b, "Stranger", line1="", postal_code="")
    url = f"/api/v1/turfs/{cut['turfs'][0]['id']}/"
    assert client_a.patch(url, {"volunteer": str(volunteer.pk)}, format="json").json()["volunteer"] == str(
        volunteer.pk)
    assert client_a.get(f"/api/v1/turfs/?volunteer={volunteer.pk}").json()["results"][0]["id"] == cut["turfs"][0]["id"]
    refused = client_a.patch(url, {"volunteer": str(stranger.pk)}, format="json")
    assert refused.status_code == 400 and "volunteer" in refused.json()["error"]["fields"]
    assert client_a.patch(url, {"volunteer": None}, format="json").json()["volunteer"] is None


@pytest.mark.django_db
def test_call_lists_hold_people_with_a_phone_and_call_consent_split_and_sorted(org_a, client_a):
    callable_people = [person(org_a, given, family, postal_code=zip_code, phone=f"+1860555{i:04d}",
                              tags=["bank"], consents=[("call", "opt_in", "organization")])
                       for i, (given, family, zip_code) in enumerate([
                           ("Zoe", "Adams", "06106"), ("Al", "Brown", "06105"), ("Bo", "Adams", "06106"),
                           ("Cy", "Young", "06105"), ("Di", "Cole", "06106")])]
    person(org_a, "No", "Phone", tags=["bank"], consents=[("call", "opt_in", "organization")])
    person(org_a, "No", "Consent", phone="+18605559998", tags=["bank"])
    person(org_a, "Opted", "Out", phone="+18605559997", tags=["bank"], consents=[("call", "opt_out", "organization")])
    response = client_a.post("/api/v1/call-lists/", {"segment": {"tags": ["bank"]}, "size": 2, "name": "Bank"},
                             format="json")
    assert response.status_code == 201, response.content
    lists = response.json()["lists"]
    assert [lst["people"] for lst in lists] == [2, 2, 1]
    names = [e["name"] for lst in lists for e in lst["entries"]]
    assert names == ["Al Brown", "Cy Young", "Bo Adams", "Zoe Adams", "Di Cole"]  # by ZIP, then name
    assert {e["contact"] for lst in lists for e in lst["entries"]} == {str(c.pk) for c in callable_people}
    text = client_a.get(f"/api/v1/call-lists/{lists[0]['id']}/csv/").content.decode().splitlines()
    assert text[0] == "list,position,contact,name,phone,postal_code,result,notes"
    assert text[1].split(",")[3:5] == ["Al Brown", "+18605550001"]
    volunteer = callable_people[0]
    assigned = client_a.patch(f"/api/v1/call-lists/{lists[0]['id']}/", {"volunteer": str(volunteer.pk)},
                              format="json")
    assert assigned.json()["volunteer"] == str(volunteer.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("body,code", [({"size": 0}, "out_of_range"), ({"size": 5000}, "out_of_range"),
                                       ({"segment": {"zips": ["06999"]}}, "empty_segment"),
                                       ({"segment": {"tags": ["nophones"]}}, "no_callable_people")])
def test_bad_call_list_requests_are_400(org_a, client_a, body, code):
    person(org_a, "Ann", tags=["nophones"])
    response = client_a.post("/api/v1/call-lists/", {"segment": {"tags": ["nophones"]}, **body}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == code


@pytest.mark.django_db
def test_a_read_only_key_cannot_cut(org_a):
    reader = client_for(org_a, scopes=["turfs:read"])
    response = reader.post("/api/v1/turf-cuts/", {"segment": {"zips": ["06106"]}}, format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_consent_filter_and_do_not_contact_option(org_a, client_a):
    lat, lon = at(0, 0)
    yes = person(org_a, "Yes", line1="10 Main St", lat=lat, lon=lon, tags=["c"],
                 consents=[("mail", "opt_in", "organization")])
    no = person(org_a, "No", line1="12 Main St", lat=lat, lon=lon, tags=["c"],
                consents=[("mail", "opt_out", "organization")])
    unknown = person(org_a, "Unknown", line1="14 Main St", lat=lat, lon=lon, tags=["c"])

    def placed(cut):
        return {str(pk) for s in TurfStop.objects.filter(turf__cut_id=cut["id"]) for pk in s.contacts}

    assert placed(cut_now(client_a, segment={"tags": ["c"], "consent": "mail"})) == {str(yes.pk)}
    assert placed(cut_now(client_a, segment={"tags": ["c"]})) == {str(yes.pk), str(unknown.pk)}
    assert placed(cut_now(client_a, segment={"tags": ["c"]}, exclude_do_not_contact=False)) == {
        str(yes.pk), str(no.pk), str(unknown.pk)}
    bad = client_a.post("/api/v1/turf-cuts/", {"segment": {"consent": "pigeon"}}, format="json")
    assert bad.status_code == 400 and "segment.consent" in bad.json()["error"]["fields"]
