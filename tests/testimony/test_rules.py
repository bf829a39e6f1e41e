"""The pure rules of testimony: bill numbers, deadlines across daylight-saving changes, the status table,
speaker-order parsing and matching, upload types by content."""
import io
import zipfile
from datetime import datetime, timezone

import pytest

from testimony import workflow
from testimony.bills import InvalidBillNumber, normalize_bill_number
from testimony.deadlines import default_registration_deadline, reminder_times
from testimony.files import InvalidUpload, detect_type, docx_paragraphs
from testimony.speaker_order import (Candidate, estimated_start, match_names, parse_order, split_name,
                                     thresholds_crossed)

from .builders import NY

UTC = timezone.utc


@pytest.mark.parametrize("raw", ["hb5001", "H.B. 5001", "HB 5001", "HB 05001", "h b 5001", "House Bill 5001",
                                 "hb-5001", "HB No. 5001"])
def test_spellings_of_one_house_bill_are_one_bill(raw):
    assert normalize_bill_number(raw) == "HB 5001"


@pytest.mark.parametrize("raw,expected", [("sb1", "SB 1"), ("S.B. 00001", "SB 1"), ("HJ 10", "HJ 10"),
                                          ("H.J.R. 10", "HJ 10"), ("sj2", "SJ 2"), ("SJR 2", "SJ 2"),
                                          ("Senate Bill 2", "SB 2")])
def test_senate_bills_and_joint_resolutions(raw, expected):
    assert normalize_bill_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "5001", "HB", "XB 5001", "HB 0", "HB 123456", "HB 50O1"])
def test_what_is_not_a_bill_number(raw):
    with pytest.raises(InvalidBillNumber):
        normalize_bill_number(raw)


@pytest.mark.parametrize("hearing_local,deadline_utc", [
    # DST starts Sunday 8 March 2026 at 2:00: a Monday hearing's deadline is 3 PM EDT (UTC-4) on Sunday
    (datetime(2026, 3, 9, 10, 0), datetime(2026, 3, 8, 19, 0)),
    # a hearing on the Sunday of the change: the deadline is Saturday 3 PM EST (UTC-5)
    (datetime(2026, 3, 8, 10, 0), datetime(2026, 3, 7, 20, 0)),
    # DST ends Sunday 1 November 2026: Monday's hearing closes Sunday 3 PM EST (UTC-5)
    (datetime(2026, 11, 2, 10, 0), datetime(2026, 11, 1, 20, 0)),
    # a hearing on the Sunday of the change: Saturday 3 PM EDT (UTC-4)
    (datetime(2026, 11, 1, 10, 0), datetime(2026, 10, 31, 19, 0)),
    # an early-morning hearing is still "the day before" in local time, not 24 hours earlier in UTC
    (datetime(2026, 3, 9, 0, 30), datetime(2026, 3, 8, 19, 0)),
])
def test_registration_deadline_is_3pm_new_york_the_day_before_across_dst(hearing_local, deadline_utc):
    deadline = default_registration_deadline(hearing_local.replace(tzinfo=NY))
    assert deadline == deadline_utc.replace(tzinfo=UTC)
    assert deadline.astimezone(NY).hour == 15


def test_reminders_are_the_same_local_time_a_day_before_and_three_hours_before_across_dst():
    deadline = datetime(2026, 3, 8, 15, 0, tzinfo=NY)  # Sunday, the first EDT afternoon
    times = reminder_times(deadline)
    assert times["day_before"] == datetime(2026, 3, 7, 20, 0, tzinfo=UTC)  # Saturday 3 PM EST: 23 real hours
    assert times["day_before"].astimezone(NY).hour == 15
    assert times["three_hours_before"] == datetime(2026, 3, 8, 16, 0, tzinfo=UTC)
    autumn = reminder_times(datetime(2026, 11, 1, 15, 0, tzinfo=NY))
    assert autumn["day_before"] == datetime(2026, 10, 31, 19, 0, tzinfo=UTC)  # 25 real hours before


def test_status_table():
    assert workflow.allowed("recruited") == ["drafting", "draft_received", "withdrawn"]
    assert workflow.can_move("reviewed", "registered")
    assert not workflow.can_move("recruited", "registered")
    assert not workflow.can_move("drafting", "testified")
    for final in workflow.FINAL:
        assert workflow.allowed(final) == []
    for status in set(workflow.STATUSES) - workflow.FINAL:
        assert "withdrawn" in workflow.allowed(status)
    assert {s for s in workflow.STATUSES if workflow.can_move(s, "written_submitted")} == {
        "reviewed", "registered", "in_speaker_order"}


def test_parse_posted_order():
    text = "Speaker Order\n\n1. Jane Doe\n2) DOE, JOHN\n#3  Maria José Núñez\tHartford\n4 Ana Lopez, New Haven, Parent\n"
    assert parse_order(text) == [(1, "Jane Doe"), (2, "DOE, JOHN"), (3, "Maria José Núñez"), (4, "Ana Lopez")]
    assert parse_order("Jane Doe\n\n  John   Doe \n") == [(1, "Jane Doe"), (2, "John Doe")]
    assert split_name("DOE, JOHN") == ("JOHN", "DOE")
    assert split_name("Maria José Núñez") == ("Maria", "Núñez")


def test_match_exact_fuzzy_ambiguous_and_unmatched():
    candidates = [Candidate(1, "Jon", "Smith"), Candidate(2, "Maria José", "Núñez"), Candidate(3, "Ann", "Lee"),
                  Candidate(4, "Anne", "Lee"), Candidate(5, "Kim", "Park")]
    names = ["John Smith", "maria jose nunez", "Anna Lee", "Nobody Here", "PARK, KIM", "Kim Park"]
    matches = match_names(list(enumerate(names, start=1)), candidates)
    assert [(m.position, m.key, m.rule) for m in matches] == [
        (1, 1, "fuzzy"), (2, 2, "exact"), (3, None, ""), (4, None, ""), (5, 5, "exact"), (6, None, "")]
    assert sorted(matches[2].ambiguous) == [3, 4]  # two Lees spelled alike: a person decides


def test_estimates_and_queue_thresholds():
    start = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
    assert estimated_start(start, 1, 60, 3) == datetime(2027, 3, 10, 16, 0, tzinfo=UTC)
    assert estimated_start(start, 11, 60, 3) == datetime(2027, 3, 10, 16, 30, tzinfo=UTC)
    assert thresholds_crossed(None, 4) == [10, 5]
    assert thresholds_crossed(12, 7) == [10]
    assert thresholds_crossed(7, 6) == []
    assert thresholds_crossed(6, 1) == [5, 2]


def pdf_bytes(text="Hello"):
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return out.getvalue()


def docx_bytes(*paragraphs):
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f'<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>')
    return out.getvalue()


def test_upload_type_is_decided_by_content():
    assert detect_type(pdf_bytes()) == "pdf"
    assert detect_type(docx_bytes("One", "Two")) == "docx"
    assert docx_paragraphs(docx_bytes("One", "Two")) == ["One", "Two"]
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("notes.txt", "not a word document")
    for data, code in [(b"GIF89a....", "unsupported_file_type"), (plain_zip.getvalue(), "unsupported_file_type"),
                       (b"%PDF-1.7 but not really a pdf", "unreadable_file"), (b"", "empty_file"),
                       (b"%PDF-" + b"0" * (10 * 1024 * 1024), "file_too_large")]:
        with pytest.raises(InvalidUpload) as caught:
            detect_type(data)
        assert caught.value.code == code
