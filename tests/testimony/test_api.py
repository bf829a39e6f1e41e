"""The testimony API against real PostgreSQL: hearings, bills, sign-ups, the status path, drafts, speaker order,
coordination counts and who sees what."""
from datetime import datetime, timedelta, timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.models import Contact
from jobs.models import Job
from testimony import models as tm

from .builders import CONSENT, NY, hearing, person, ready_to_register, witness
from .test_rules import docx_bytes, pdf_bytes

pytestmark = pytest.mark.django_db
UTC = timezone.utc


def notices(kind=None):
    """The messages queued for witnesses (messaging.send jobs), as {dedupe_key: params}."""
    jobs = Job.objects.filter(kind="messaging.send")
    return {j.params["dedupe_key"]: j.params for j in jobs if kind is None or j.params["kind"] == kind}


def create_hearing(client, **extra):
    body = {"committee": "Education", "starts_at": "2026-03-09T10:00:00-04:00",
            "registration_url": "https://cga.ct.gov/reg", "bills": [{"number": "hb5001", "title": "Funding"}],
            **extra}
    response = client.post("/api/v1/hearings/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_hearing_defaults_and_normalised_bills(client_a, client_b):
    created = create_hearing(client_a)
    assert created["registration_deadline"] == "2026-03-08T15:00:00-04:00"  # 3 PM EDT, the day after DST began
    assert created["registration_deadline_is_default"] is True
    assert (created["officials_minutes"], created["minutes_per_speaker"], created["status"]) == (60, 3, "scheduled")
    assert created["host"] == "alpha" and created["bills"][0]["number"] == "HB 5001"
    url = f"/api/v1/hearings/{created['id']}/bills/"
    same = client_a.post(url, {"number": "H.B. 5001", "lco_number": "LCO 123"}, format="json")
    assert same.status_code == 200 and same.json()["id"] == created["bills"][0]["id"]
    assert client_a.post(url, {"number": "SB 1"}, format="json").status_code == 201
    bad = client_a.post(url, {"number": "bill five"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_bill_number"
    assert [b["number"] for b in client_a.get(url).json()] == ["HB 5001", "SB 1"]
    # a coalition member sees the hearing but may not edit it or its agenda
    assert client_b.get(f"/api/v1/hearings/{created['id']}/").status_code == 200
    assert client_b.patch(f"/api/v1/hearings/{created['id']}/", {"room": "2E"}, format="json").status_code == 404
    assert client_b.post(url, {"number": "SB 2"}, format="json").status_code == 404


def test_reschedule_moves_a_default_deadline_but_not_an_explicit_one(client_a):
    created = create_hearing(client_a)
    moved = client_a.patch(f"/api/v1/hearings/{created['id']}/", {"starts_at": "2026-11-02T10:00:00-05:00"},
                           format="json").json()
    assert moved["status"] == "rescheduled" and moved["previous_starts_at"] == "2026-03-09T10:00:00-04:00"
    assert moved["registration_deadline"] == "2026-11-01T15:00:00-05:00"  # 3 PM EST, the day DST ended
    explicit = create_hearing(client_a, registration_deadline="2026-03-06T17:00:00-05:00")
    assert explicit["registration_deadline_is_default"] is False
    moved = client_a.patch(f"/api/v1/hearings/{explicit['id']}/", {"starts_at": "2026-03-10T10:00:00-04:00"},
                           format="json").json()
    assert moved["registration_deadline"] == "2026-03-06T17:00:00-05:00"


def test_sign_up_by_person_or_contact_goes_through_contact_upsert(client_a, org_a):
    created = create_hearing(client_a)
    url = f"/api/v1/hearings/{created['id']}/testimonies/"
    body = {"person": {"given_name": "Rosa", "family_name": "Diaz", "emails": [{"address": "rosa@example.org"}]},
            "positions": [{"bill": "hb 5001", "position": "support"}], "mode": "zoom", "role": "parent",
            "language": "es", "accessibility_needs": "Spanish interpreter"}
    first = client_a.post(url, body, format="json")
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["status"] == "recruited" and data["recruited_by"] == "alpha"
    assert data["positions"] == [{"bill": "HB 5001", "position": "support"}]
    assert data["allowed_transitions"] == ["drafting", "draft_received", "withdrawn"]
    contact = Contact.objects.get(pk=data["contact"])
    assert contact.links.filter(organization=org_a, source="testimony").exists()
    # the same person again (matched by email) is one witness per hearing
    again = client_a.post(url, {**body, "person": {**body["person"], "given_name": "Rosa M."}}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_signed_up"
    second = create_hearing(client_a)
    by_id = client_a.post(f"/api/v1/hearings/{second['id']}/testimonies/", {"contact": data["contact"]},
                          format="json")
    assert by_id.status_code == 201 and by_id.json()["contact"] == data["contact"]
    for bad, field in [({"positions": [{"bill": "SB 99", "position": "support"}], "contact": data["contact"]},
                        "positions[0].bill"),
                       ({"person": {"emails": [{"address": "nope"}]}}, "person.emails"),
                       ({}, "non_field_errors")]:
        response = client_a.post(url, bad, format="json")
        fields = response.json()["error"]["fields"]
        assert response.status_code == 400 and any(f.startswith(field) for f in fields), response.content


def test_status_path_with_409s_consent_confirmation_and_history(client_a, org_a):
    h = hearing(org_a)
    t = witness(h, org_a, "Rosa", "Diaz")
    url = f"/api/v1/testimonies/{t.pk}/transition/"
    illegal = client_a.post(url, {"to": "testified"}, format="json")
    assert illegal.status_code == 409
    error = illegal.json()["error"]
    assert error["code"] == "illegal_transition" and error["allowed"] == ["drafting", "draft_received", "withdrawn"]
    assert "drafting, draft_received, withdrawn" in error["message"]
    for to in ("drafting", "draft_received", "reviewed"):
        assert client_a.post(url, {"to": to}, format="json").status_code == 200
    detail = client_a.get(f"/api/v1/testimonies/{t.pk}/").json()
    assert detail["registration"] == {"blocked": "public_record_consent_required"}
    assert not notices("testimony.registration_step"), "no registration link before public-record consent"
    no_consent = client_a.post(url, {"to": "registered", "confirmation": "Pending approval #42"}, format="json")
    assert no_consent.status_code == 409
    assert no_consent.json()["error"]["code"] == "public_record_consent_required"
    consent = client_a.post(f"/api/v1/testimonies/{t.pk}/public-record-consent/", {"text": CONSENT}, format="json")
    assert consent.json()["public_record_consent"]["text"] == CONSENT
    registration = consent.json()["registration"]
    assert registration["registration_url"] == "https://cga.ct.gov/register"
    assert any("unique email" in step for step in registration["checklist"])
    sent = notices("testimony.registration_step")
    assert len(sent) == 1 and "https://cga.ct.gov/register" in next(iter(sent.values()))["body"]
    missing = client_a.post(url, {"to": "registered"}, format="json")
    assert missing.status_code == 400 and "confirmation" in missing.json()["error"]["fields"]
    done = client_a.post(url, {"to": "registered", "confirmation": "Your registration is approved."}, format="json")
    assert done.status_code == 200 and done.json()["registration_confirmation"] == "Your registration is approved."
    unknown = client_a.post(url, {"to": "approved"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid_status"
    history = client_a.get(f"/api/v1/testimonies/{t.pk}/history/").json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("", "recruited"), ("recruited", "drafting"), ("drafting", "draft_received"),
        ("draft_received", "reviewed"), ("reviewed", "registered")]
    assert client_a.post(url, {"to": "withdrawn"}, format="json").status_code == 200
    final = client_a.post(url, {"to": "registered", "confirmation": "x"}, format="json")
    assert final.status_code == 409 and final.json()["error"]["allowed"] == []


def test_drafts_are_versioned_and_checked_by_content(client_a, org_a):
    h = hearing(org_a)
    t = witness(h, org_a)
    url = f"/api/v1/testimonies/{t.pk}/drafts/"
    text = client_a.post(url, {"text": "My daughter's school...", "note": "first"}, format="json")
    assert text.status_code == 201 and text.json()["version"] == 1 and text.json()["kind"] == "text"
    assert tm.Testimony.objects.get(pk=t.pk).status == "draft_received"
    pdf = client_a.post(url, {"file": SimpleUploadedFile("story.txt", pdf_bytes(), "text/plain"), "bill": "hb5001"},
                        format="multipart")
    assert pdf.status_code == 201 and pdf.json()["kind"] == "pdf" and pdf.json()["bill"] == "HB 5001"
    docx = client_a.post(url, {"file": SimpleUploadedFile("story.bin", docx_bytes("Para one"))}, format="multipart")
    assert docx.json()["kind"] == "docx" and docx.json()["version"] == 3
    for upload, code in [(SimpleUploadedFile("fake.pdf", b"GIF89a not a pdf", "application/pdf"),
                          "unsupported_file_type"),
                         (SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)), "file_too_large"),
                         (SimpleUploadedFile("fake.docx", b"PK\x03\x04 broken zip"), "unsupported_file_type")]:
        refused = client_a.post(url, {"file": upload}, format="multipart")
        assert refused.status_code == 400 and refused.json()["error"]["code"] == code, refused.content
        assert "file" in refused.json()["error"]["fields"]
    assert [d["version"] for d in client_a.get(url).json()] == [1, 2, 3]
    assert client_a.get(f"/api/v1/testimonies/{t.pk}/").json()["latest_draft"]["version"] == 3
    # multipart is accepted on the drafts upload only
    assert client_a.post(f"/api/v1/testimonies/{t.pk}/transition/", {"to": "reviewed"},
                         format="multipart").status_code == 415


def test_each_member_sees_its_own_witnesses_in_full_and_others_only_as_counts(client_a, client_b, org_a, org_b):
    h = hearing(org_a)
    mine = witness(h, org_a, "Rosa", "Diaz", review_notes="shy; practise twice", mode="zoom")
    witness(h, org_a, "Tom", "Ng", positions=[("HB 5001", "support"), ("SB 1", "oppose")])
    theirs = witness(h, org_b, "Lee", "Park", positions=[("HB 5001", "oppose")], mode="written_only")
    quitter = witness(h, org_b, "Kai", "Moe")
    client_b.post(f"/api/v1/testimonies/{quitter.pk}/transition/", {"to": "withdrawn"}, format="json")
    listed = client_b.get(f"/api/v1/hearings/{h.pk}/testimonies/").json()
    assert {t["id"] for t in listed} == {str(theirs.pk), str(quitter.pk)}
    assert client_b.get(f"/api/v1/testimonies/{mine.pk}/").status_code == 404
    assert client_b.post(f"/api/v1/testimonies/{mine.pk}/transition/", {"to": "drafting"},
                         format="json").status_code == 404
    summary = client_b.get(f"/api/v1/hearings/{h.pk}/summary/")
    assert summary.status_code == 200
    body = summary.json()
    assert str(mine.pk) not in summary.content.decode() and "Rosa" not in summary.content.decode()
    assert (body["witnesses"], body["withdrawn"], body["mine"]) == (3, 1, 1)
    assert body["by_organization"] == {"alpha": 2, "bravo": 1}
    assert body["by_mode"] == {"in_person": 1, "written_only": 1, "zoom": 1}
    hb = next(b for b in body["bills"] if b["bill"] == "HB 5001")
    assert hb["by_position"] == {"oppose": 1, "support": 2} and hb["witnesses"] == 3
    assert hb["by_organization_position"] == {"alpha": {"support": 2}, "bravo": {"oppose": 1}}
    sb = next(b for b in body["bills"] if b["bill"] == "SB 1")
    assert sb["by_position"] == {"oppose": 1}
    # a private hearing is invisible to other members, summary included
    private = hearing(org_a, visibility="private")
    assert client_b.get(f"/api/v1/hearings/{private.pk}/summary/").status_code == 404
    assert client_b.post(f"/api/v1/hearings/{private.pk}/testimonies/", {"person": {"given_name": "X"}},
                         format="json").status_code == 404


def test_another_member_cannot_sign_up_a_person_already_signed_up(client_b, org_a, org_b):
    h = hearing(org_a)
    t = witness(h, org_a, "Rosa", "Diaz", email="rosa@example.org")
    response = client_b.post(f"/api/v1/hearings/{h.pk}/testimonies/", {
        "person": {"given_name": "Rosa", "family_name": "Diaz", "emails": [{"address": "rosa@example.org"}]}},
        format="json")
    assert response.status_code == 409
    assert "another member" in response.json()["error"]["message"] and str(t.pk) not in response.content.decode()


def test_speaker_order_import_matches_places_estimates_and_tells(client_a, client_b, org_a, org_b):
    h = hearing(org_a, starts_at=datetime(2027, 3, 10, 10, 0, tzinfo=NY))
    jon = ready_to_register(witness(h, org_a, "Jon", "Smith"))
    maria = ready_to_register(witness(h, org_b, "María", "Núñez"))
    no_consent = witness(h, org_a, "Ann", "Lee")
    written = witness(h, org_a, "Wes", "Tran", mode="written_only")
    for t in (jon, maria):
        client = client_a if t.organization == org_a else client_b
        assert client.post(f"/api/v1/testimonies/{t.pk}/transition/",
                           {"to": "registered", "confirmation": "approved"}, format="json").status_code == 200
    text = ("Public Hearing Speaker Order\n1. Pat Official\n2. Maria Nunez\n3. Someone Else\n4. John Smith\n"
            "5. Ann Lee\n6. Wes Tran\n")
    assert client_b.post(f"/api/v1/hearings/{h.pk}/speaker-order/", {"text": text},
                         format="json").status_code == 404, "only the host imports the order"
    imported = client_a.post(f"/api/v1/hearings/{h.pk}/speaker-order/", {"text": text}, format="json")
    assert imported.status_code == 201, imported.content
    body = imported.json()
    assert body["speakers"] == 6 and body["matched"] == 3
    assert [u["name"] for u in body["unmatched"]] == ["Pat Official", "Someone Else", "Wes Tran"]
    assert body["needs_attention"] == [str(no_consent.pk)]  # placed, but no consent to register yet
    # the host sees which lines are its own witnesses, never which lines are another member's
    order = {row["position"]: row for row in body["order"]}
    assert order[4]["testimony"] == str(jon.pk) and order[2]["matched"] and order[2]["testimony"] is None
    jon = tm.Testimony.objects.get(pk=jon.pk)
    assert (jon.status, jon.speaker_position) == ("in_speaker_order", 4)
    assert jon.estimated_start == datetime(2027, 3, 10, 11, 9, tzinfo=NY)  # 10:00 + 60 + 3 x 3
    assert tm.Testimony.objects.get(pk=written.pk).speaker_position is None
    told = notices("testimony.speaker_position")
    assert {p["contact"] for p in told.values()} == {str(jon.contact_id), str(maria.contact_id),
                                                     str(no_consent.contact_id)}
    assert any("11:09 AM EST" in p["body"] for p in told.values()), [p["body"] for p in told.values()]
    # bravo resolves nothing of alpha's, but may place its own witness by hand
    assert client_b.post(f"/api/v1/hearings/{h.pk}/speaker-order/match/",
                         {"position": 3, "testimony": str(jon.pk)}, format="json").status_code == 404
    # marking speakers done tells later witnesses how many are ahead, once per threshold
    done = client_a.post(f"/api/v1/hearings/{h.pk}/speaker-order/done/", {"through": 1}, format="json").json()
    assert done["marked"] == 1 and done["remaining"] == 5
    queue = notices("testimony.queue_update")
    assert {p["body"].split(" (")[0] for p in queue.values()} == {"You are next",
                                                                   "About 2 speakers before you"}
    again = client_a.post(f"/api/v1/hearings/{h.pk}/speaker-order/done/", {"positions": [1]}, format="json").json()
    assert again["marked"] == 0 and again["notified"] == 0 and notices("testimony.queue_update") == queue
    # a corrected order without Jon puts him back to registered
    client_a.post(f"/api/v1/hearings/{h.pk}/speaker-order/", {"names": ["Maria Nunez"]}, format="json")
    jon.refresh_from_db()
    assert (jon.status, jon.speaker_position) == ("registered", None)
    assert client_a.get(f"/api/v1/hearings/{h.pk}/speaker-order/").json()[0]["name"] == "Maria Nunez"


def test_manual_match_of_an_unmatched_name(client_a, org_a):
    h = hearing(org_a)
    t = ready_to_register(witness(h, org_a, "Elizabeth", "Warren-Jones"))
    client_a.post(f"/api/v1/testimonies/{t.pk}/transition/", {"to": "registered", "confirmation": "ok"},
                  format="json")
    body = client_a.post(f"/api/v1/hearings/{h.pk}/speaker-order/", {"names": ["Someone", "Betty Jones"]},
                         format="json").json()
    assert body["matched"] == 0
    linked = client_a.post(f"/api/v1/hearings/{h.pk}/speaker-order/match/", {"position": 2, "testimony": str(t.pk)},
                           format="json")
    assert linked.status_code == 200 and linked.json()["match_rule"] == "manual"
    t.refresh_from_db()
    assert (t.status, t.speaker_position) == ("in_speaker_order", 2)


def test_export_endpoints_answer_202_with_a_job(client_a, client_b, org_a):
    h = hearing(org_a)
    roster = client_a.post(f"/api/v1/hearings/{h.pk}/exports/roster/")
    assert roster.status_code == 202 and roster.json()["kind"] == "testimony.roster"
    packet = client_b.post(f"/api/v1/hearings/{h.pk}/exports/packet/", {"bill": "hb5001"}, format="json")
    assert packet.status_code == 202 and Job.objects.get(pk=packet.json()["id"]).params["bill"] == "HB 5001"
    missing = client_a.post(f"/api/v1/hearings/{h.pk}/exports/packet/", {"bill": "SB 404"}, format="json")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "bill_not_on_agenda"


def test_read_only_key_cannot_write(org_a):
    from tests.support import client_for

    reader = client_for(org_a, scopes=["testimony:read"])
    h = hearing(org_a)
    assert reader.get(f"/api/v1/hearings/{h.pk}/").status_code == 200
    assert reader.post(f"/api/v1/hearings/{h.pk}/testimonies/", {"person": {"given_name": "X"}},
                       format="json").status_code == 403


def test_update_a_witness_coach_positions_and_notes(client_a, client_b, org_a):
    from django.contrib.auth import get_user_model
    from organizations.models import Membership

    coach = get_user_model().objects.create(username="coach-a")
    Membership.objects.create(user=coach, organization=org_a, role="organizer")
    get_user_model().objects.create(username="stranger")
    h = hearing(org_a)
    t = witness(h, org_a)
    url = f"/api/v1/testimonies/{t.pk}/"
    updated = client_a.patch(url, {"coach": "coach-a", "review_notes": "needs a shorter opening",
                                   "positions": [{"bill": "SB 1", "position": "neutral"}]}, format="json")
    assert updated.status_code == 200, updated.content
    body = updated.json()
    assert body["coach"] == "coach-a" and body["positions"] == [{"bill": "SB 1", "position": "neutral"}]
    assert body["review_notes"] == "needs a shorter opening"
    refused = client_a.patch(url, {"coach": "stranger"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_coach"
    assert client_b.patch(url, {"review_notes": "mine now"}, format="json").status_code == 404
    assert client_a.put(url, {}, format="json").status_code == 405


def test_cancelled_or_moved_hearing_tells_witnesses_and_refuses_sign_ups(client_a, org_a):
    h = hearing(org_a)
    t = witness(h, org_a)
    bad = client_a.patch(f"/api/v1/hearings/{h.pk}/", {"written_deadline": "2027-03-11T10:00:00-05:00"},
                         format="json")
    assert bad.status_code == 400 and "written_deadline" in bad.json()["error"]["fields"]
    client_a.patch(f"/api/v1/hearings/{h.pk}/", {"starts_at": "2027-03-12T13:00:00-05:00"}, format="json")
    moved = notices("testimony.hearing_rescheduled")
    assert len(moved) == 1 and "March 12, 2027 at 1:00 PM EST" in next(iter(moved.values()))["body"]
    client_a.patch(f"/api/v1/hearings/{h.pk}/", {"status": "cancelled"}, format="json")
    assert {p["contact"] for p in notices("testimony.hearing_cancelled").values()} == {str(t.contact_id)}
    late = client_a.post(f"/api/v1/hearings/{h.pk}/testimonies/", {"person": {"given_name": "Late"}}, format="json")
    assert late.status_code == 409 and late.json()["error"]["code"] == "hearing_cancelled"


def test_speaker_order_upload_and_manual_placement(client_a, org_a):
    h = hearing(org_a)
    t = ready_to_register(witness(h, org_a, "Jane", "Roe"))
    client_a.post(f"/api/v1/testimonies/{t.pk}/transition/", {"to": "registered", "confirmation": "ok"},
                  format="json")
    upload = SimpleUploadedFile("order.txt", "Speaker order\r\n1\tPat Official\r\n2\tROE, JANE\r\n".encode("utf-8-sig"))
    body = client_a.post(f"/api/v1/hearings/{h.pk}/speaker-order/", {"file": upload}, format="multipart").json()
    assert body["matched"] == 1 and [u["name"] for u in body["unmatched"]] == ["Pat Official"]
    t.refresh_from_db()
    assert (t.status, t.speaker_position) == ("in_speaker_order", 2)
    assert tm.Hearing.objects.get(pk=h.pk).speaker_order_posted_at is not None
    both = client_a.post(f"/api/v1/hearings/{h.pk}/speaker-order/", {"names": ["A"], "text": "B"}, format="json")
    assert both.status_code == 400
    # staff may also place a witness by hand from the transition endpoint (position required)
    other = ready_to_register(witness(h, org_a, "Max", "Poe"))
    url = f"/api/v1/testimonies/{other.pk}/transition/"
    client_a.post(url, {"to": "registered", "confirmation": "ok"}, format="json")
    assert client_a.post(url, {"to": "in_speaker_order"}, format="json").status_code == 400
    placed = client_a.post(url, {"to": "in_speaker_order", "position": 7}, format="json").json()
    assert placed["speaker_position"] == 7 and placed["estimated_start"] == "2027-03-10T11:18:00-05:00"


def test_an_unknown_time_zone_is_a_400_naming_the_field(org_a):
    from tests.support import client_for
    response = client_for(org_a).post("/api/v1/hearings/", {
        "committee": "Education", "starts_at": "2027-03-10T10:00:00-05:00", "timezone": "Mars/Olympus",
        "registration_url": "https://cga.ct.gov/register"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["timezone"]
