"""Exports and reminders run by real rq worker processes against real PostgreSQL and Redis."""
import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from messaging.models import Message
from testimony import services
from testimony.jobs import reminders_schedule
from tests.support import client_for, run_worker_burst

from .builders import CONSENT, hearing, person, ready_to_register, witness
from .test_rules import docx_bytes

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def two_page_pdf():
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pages = canvas.Canvas(out)
    for text in ("Uploaded page one", "Uploaded page two"):
        pages.drawString(72, 720, text)
        pages.showPage()
    pages.save()
    return out.getvalue()


def download(client, job_id):
    job = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert job["status"] == "finished", job
    response = client.get(f"/api/v1/jobs/{job_id}/download/")
    return job, b"".join(response.streaming_content)


def test_packet_pdf_per_bill_and_roster_csv_by_a_real_worker(org_a, org_b):
    h = hearing(org_a)
    text_witness = witness(h, org_a, "Rosa", "Diaz", role="parent")
    services.draft_add(testimony=text_witness, text="Old version that must not print.")
    services.draft_add(testimony=text_witness, text="Fund our schools fairly.\n\nThe gap is $713 million.")
    pdf_witness = witness(h, org_a, "Ben", "Adams", role="teacher", positions=[("HB 5001", "oppose")])
    services.draft_add(testimony=pdf_witness, upload=SimpleUploadedFile("t.pdf", two_page_pdf()), bill="HB 5001")
    docx_witness = witness(h, org_a, "Cal", "Brown", role="student")
    services.draft_add(testimony=docx_witness, upload=SimpleUploadedFile("t.docx", docx_bytes("Students need it.")))
    other_bill = witness(h, org_a, "Dee", "Cole", positions=[("SB 1", "support")])
    services.draft_add(testimony=other_bill, text="Only about SB 1.")
    gone = witness(h, org_a, "Eve", "Dunn")
    services.draft_add(testimony=gone, text="Withdrawn words.")
    services.testimony_transition(testimony=gone, to="withdrawn")
    foreign = witness(h, org_b, "Fay", "Evans")
    services.draft_add(testimony=foreign, text="Bravo's witness.")

    client = client_for(org_a)
    packet = client.post(f"/api/v1/hearings/{h.pk}/exports/packet/", {"bill": "H.B. 5001"}, format="json")
    roster = client.post(f"/api/v1/hearings/{h.pk}/exports/roster/")
    assert packet.status_code == roster.status_code == 202
    run_worker_burst()

    job, pdf = download(client, packet.json()["id"])
    reader = PdfReader(io.BytesIO(pdf))
    assert job["result"] == {"bill": "HB 5001", "witnesses": 3, "pages": len(reader.pages)}
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 6  # cover, Adams (heading + 2 uploaded pages), Brown, Diaz
    assert "HB 5001: An Act Concerning Equitable Education Funding" in " ".join(pages[0].split())
    assert pages[0].index("Ben Adams") < pages[0].index("Cal Brown") < pages[0].index("Rosa Diaz")
    assert "Opposes HB 5001" in pages[1] and "Uploaded page one" in pages[2] and "Uploaded page two" in pages[3]
    assert "Students need it." in pages[4]
    assert "The gap is $713 million." in pages[5] and "Old version" not in "".join(pages)
    everything = "".join(pages)
    for absent in ("Dee Cole", "Eve Dunn", "Withdrawn words", "Fay Evans", "Bravo's witness"):
        assert absent not in everything

    _, data = download(client, roster.json()["id"])
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert {r["family_name"] for r in rows} == {"Diaz", "Adams", "Brown", "Cole", "Dunn"}  # never bravo's
    diaz = next(r for r in rows if r["family_name"] == "Diaz")
    assert (diaz["email"], diaz["role"], diaz["positions"], diaz["latest_draft_version"]) == (
        "rosa.diaz@example.org", "parent", "HB 5001: support", "2")


def test_reminders_go_out_once_honouring_consent(org_a, settings):
    now = timezone.now()
    h = hearing(org_a, registration_deadline=now + timedelta(hours=2), written_deadline=now + timedelta(hours=20),
                written_testimony_url="https://cga.ct.gov/testimony")
    ready = ready_to_register(services.testimony_create(hearing=h, organization=org_a, person=person(
        "Ana", "Ready", "ana@example.org", phone="+1 860 555 0199", consents=[("sms", "opt_in")])))
    opted_out = services.testimony_create(hearing=h, organization=org_a, person=person(
        "Oli", "Out", "oli@example.org", consents=[("email", "opt_out")]))
    opted_out = ready_to_register(opted_out)
    registered = services.testimony_transition(testimony=ready_to_register(witness(h, org_a, "Reg", "Done")),
                                               to="registered", confirmation="approved")
    no_public_consent = witness(h, org_a, "Nia", "Private")
    written_only = witness(h, org_a, "Wes", "Written", mode="written_only")
    services.public_record_consent_record(testimony=written_only, text=CONSENT)

    reminders_schedule(h.pk)
    run_worker_burst()
    texts = Message.objects.filter(kind__endswith="_reminder", channel="sms")
    assert {(m.contact_id, m.status) for m in texts} == {(ready.contact_id, "sent")} | {
        (t.contact_id, "skipped_no_consent") for t in (opted_out, registered, written_only)}
    assert texts.get(kind="testimony.registration_reminder", status="sent").to == "+18605550199"
    reminders = Message.objects.filter(kind__endswith="_reminder", channel="email")
    sent = {(m.contact_id, m.kind, m.dedupe_key.split(":")[3]): m.status for m in reminders}
    assert sent == {
        # registration closes in 2 hours: the three-hour reminder (the day-before one is not sent late as well)
        (ready.contact_id, "testimony.registration_reminder", "three_hours_before"): "sent",
        (opted_out.contact_id, "testimony.registration_reminder", "three_hours_before"): "skipped_no_consent",
        # written testimony is due in 20 hours: the day-before reminder
        (ready.contact_id, "testimony.written_reminder", "day_before"): "sent",
        (opted_out.contact_id, "testimony.written_reminder", "day_before"): "skipped_no_consent",
        (registered.contact_id, "testimony.written_reminder", "day_before"): "sent",
        (written_only.contact_id, "testimony.written_reminder", "day_before"): "sent",
    }
    assert no_public_consent.contact_id not in {key[0] for key in sent}
    body = Message.objects.get(contact=ready.contact, kind="testimony.registration_reminder", channel="email").body
    assert "https://cga.ct.gov/register" in body and "your own email" in body

    reminders_schedule(h.pk)  # planned again (a retry, a second scheduler): nothing goes out twice
    run_worker_burst()
    assert reminders.count() == len(sent) and texts.count() == 6
    assert reminders.filter(status="sent").count() == 4 and texts.filter(status="sent").count() == 2
    # the registration link went out when each consenting witness reached the registration step, once
    steps = Message.objects.filter(kind="testimony.registration_step", status="sent")
    assert {m.contact_id for m in steps} == {ready.contact_id, registered.contact_id}


def test_deleting_a_person_deletes_their_testimony_and_uploaded_files(org_a):
    from django.core.files.storage import default_storage

    h = hearing(org_a)
    t = witness(h, org_a)
    draft = services.draft_add(testimony=t, upload=SimpleUploadedFile("t.pdf", two_page_pdf()))
    assert default_storage.exists(draft.file.name)
    t.contact.delete()  # what contacts' erasure does: the person and every row that points at them
    assert not default_storage.exists(draft.file.name)
    assert not type(t).objects.filter(pk=t.pk).exists()


def test_reminders_can_be_planned_again_from_a_command(org_a):
    import io

    import django_rq
    from django.core.management import call_command

    now = timezone.now()
    upcoming = hearing(org_a, starts_at=now + timedelta(days=5), registration_deadline=now + timedelta(days=4))
    hearing(org_a, starts_at=now - timedelta(days=5))  # past: nothing to plan
    django_rq.get_connection("default").flushdb()  # as if Redis lost its scheduled jobs
    out = io.StringIO()
    call_command("testimony_reminders", stdout=out)
    assert out.getvalue().strip() == "2 reminder runs planned for 1 hearings"
    scheduled = django_rq.get_queue("default").scheduled_job_registry.get_job_ids()
    assert sorted(scheduled) == sorted(f"testimony-reminders-{upcoming.pk}-{int(at.timestamp())}" for at in (
        upcoming.registration_deadline - timedelta(days=1), upcoming.registration_deadline - timedelta(hours=3)))


def test_parallel_draft_uploads_get_distinct_versions(org_a):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    t = witness(hearing(org_a), org_a)

    def upload(n):
        try:
            return services.draft_add(testimony=t, text=f"draft from tab {n}").version
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = sorted(pool.map(upload, range(8)))
    assert versions == list(range(1, 9))
    assert [tr.to_status for tr in t.transitions.all()] == ["recruited", "draft_received"]
