"""Exports run by rq jobs: the roster CSV and the written-testimony packet per bill (a PDF).

Both contain only the calling organization's own witnesses (TestimonyQuerySet.visible_to): another member's
witnesses are never exported, only counted in the summary.
"""
import csv
import io
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db.models import F

from contacts.sharing import render_contacts
from jobs.services import JobFailed
from organizations.errors import DomainError
from organizations.services import audit_record

from .files import InvalidUpload, docx_paragraphs
from .models import Hearing, Testimony, TestimonyDraft
from .services import _bill_on_agenda, local_text

ROSTER_COLUMNS = ["testimony_id", "given_name", "family_name", "email", "phone", "role", "affiliation", "mode",
                  "language", "accessibility_needs", "status", "positions", "public_record_consent_at",
                  "registered_at", "registration_confirmation", "speaker_position", "estimated_start", "coach",
                  "latest_draft_version"]


def _hearing(job) -> Hearing:
    hearing = Hearing.objects.visible_to(job.organization).filter(pk=job.params.get("hearing")).first()
    if hearing is None:
        raise JobFailed("The hearing no longer exists.")
    return hearing


def _witnesses(job, hearing):
    return (Testimony.objects.visible_to(job.organization).filter(hearing=hearing)
            .select_related("contact", "coach").prefetch_related("positions__bill", "drafts")
            .order_by(F("speaker_position").asc(nulls_last=True), "contact__family_name", "contact__given_name"))


def roster_csv(job, progress) -> dict:
    hearing = _hearing(job)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ROSTER_COLUMNS)
    tz = ZoneInfo(hearing.timezone)
    rows = 0
    witnesses = list(_witnesses(job, hearing))
    views = render_contacts(job.organization, [t.contact_id for t in witnesses])  # masked as the API masks them
    for t in witnesses:
        view = views[t.contact_id]
        email = next((e["address"] for e in view["emails"]), "")
        phone = next((p["number"] for p in view["phones"]), "")
        drafts = [d.version for d in t.drafts.all()]
        writer.writerow([
            t.pk, t.contact.given_name, t.contact.family_name, email, phone, t.role, t.affiliation, t.mode,
            t.language, t.accessibility_needs, t.status,
            "; ".join(f"{p.bill.number}: {p.position}" for p in sorted(t.positions.all(), key=lambda p: p.bill.order)),
            t.public_record_consent_at.isoformat() if t.public_record_consent_at else "",
            t.registered_at.isoformat() if t.registered_at else "", t.registration_confirmation,
            t.speaker_position or "", t.estimated_start.astimezone(tz).isoformat() if t.estimated_start else "",
            t.coach.get_username() if t.coach else "", max(drafts) if drafts else ""])
        rows += 1
    job.result_file.save(f"roster-{hearing.committee.lower().replace(' ', '-')}-{hearing.starts_at:%Y%m%d}-{job.id}.csv",
                         ContentFile(buffer.getvalue().encode()), save=True)
    audit_record(organization=job.organization, actor=job.created_by_key or job.created_by_user,
                 verb="testimony.roster_exported", obj=hearing, details={"rows": rows, "job": str(job.id)})
    return {"rows": rows}


def _latest_draft(testimony: Testimony, bill) -> TestimonyDraft | None:
    drafts = sorted(testimony.drafts.all(), key=lambda d: d.version, reverse=True)
    return (next((d for d in drafts if d.bill_id == bill.pk), None)
            or next((d for d in drafts if d.bill_id is None), None))


def _story(flowables_for):
    """Render reportlab flowables to PDF bytes."""
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import SimpleDocTemplate

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=letter, title="Written testimony", leftMargin=72, rightMargin=72,
                            topMargin=72, bottomMargin=72)
    doc.build(flowables_for())
    return out.getvalue()


def _paragraphs(texts, style):
    from reportlab.platypus import Paragraph, Spacer

    out = []
    for text in texts:
        if text.strip():
            out.append(Paragraph(escape(text).replace("\n", "<br/>").replace("\t", "&nbsp;" * 4), style))
        out.append(Spacer(1, 6))
    return out


def packet_pdf(job, progress) -> dict:
    """The written testimony on one bill: a cover page listing the witnesses, then each witness's latest draft
    (text and DOCX drafts are typeset; uploaded PDFs are appended page by page), in speaker order then by name."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    styles = getSampleStyleSheet()
    hearing = _hearing(job)
    try:
        bill = _bill_on_agenda(hearing, job.params.get("bill", ""), "bill")
    except DomainError as exc:
        raise JobFailed(exc.message)
    entries = []
    for t in _witnesses(job, hearing).exclude(status="withdrawn"):
        position = next((p.position for p in t.positions.all() if p.bill_id == bill.pk), None)
        draft = _latest_draft(t, bill) if position else None
        if draft is not None:
            entries.append((t, position, draft))
    when = local_text(hearing.starts_at, hearing.timezone)

    def cover():
        story = [Paragraph(escape(f"{bill.number}: {bill.title}" if bill.title else bill.number), styles["Title"]),
                 Paragraph(escape(f"Written testimony for the {hearing.committee} Committee public hearing, {when}"),
                           styles["Heading2"]),
                 Paragraph(escape(f"Collected by {job.organization.name}. Draft packet for review before witnesses "
                                  f"submit; {len(entries)} witness{'es' if len(entries) != 1 else ''}."),
                           styles["Normal"]), Spacer(1, 18)]
        for n, (t, position, draft) in enumerate(entries, start=1):
            story.append(Paragraph(escape(f"{n}. {t.contact} ({t.get_role_display()}) - {position}, "
                                          f"version {draft.version}"), styles["Normal"]))
        return story

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_story(cover))))
    for index, (t, position, draft) in enumerate(entries, start=1):
        heading = [Paragraph(escape(str(t.contact)), styles["Heading1"]),
                   Paragraph(escape(f"{t.get_role_display()}{', ' + t.affiliation if t.affiliation else ''}. "
                                    f"{position.title()}s {bill.number}."), styles["Heading3"]), Spacer(1, 12)]
        if draft.kind == TestimonyDraft.Kind.PDF:
            try:
                with draft.file.open("rb") as handle:
                    attached = PdfReader(io.BytesIO(handle.read()))
                writer.append(PdfReader(io.BytesIO(_story(lambda: heading + [Paragraph(
                    escape(f"Uploaded PDF: {draft.filename} ({len(attached.pages)} pages) follows."),
                    styles["Normal"])]))))
                writer.append(attached)
            except (PyPdfError, OSError, ValueError) as exc:
                writer.append(PdfReader(io.BytesIO(_story(lambda: heading + [Paragraph(
                    escape(f"The uploaded PDF could not be included ({type(exc).__name__})."), styles["Normal"])]))))
        else:
            if draft.kind == TestimonyDraft.Kind.DOCX:
                try:
                    with draft.file.open("rb") as handle:
                        texts = docx_paragraphs(handle.read())
                except (InvalidUpload, OSError, ValueError, KeyError) as exc:
                    texts = [f"The uploaded document could not be read ({type(exc).__name__})."]
            else:
                texts = draft.text.split("\n\n")
            writer.append(PdfReader(io.BytesIO(_story(lambda: heading + _paragraphs(texts, styles["Normal"])))))
        progress(index * 100 // max(1, len(entries)), f"{index} of {len(entries)} witnesses")
    out = io.BytesIO()
    writer.write(out)
    job.result_file.save(f"packet-{bill.number.replace(' ', '')}-{hearing.starts_at:%Y%m%d}-{job.id}.pdf",
                         ContentFile(out.getvalue()), save=True)
    audit_record(organization=job.organization, actor=job.created_by_key or job.created_by_user,
                 verb="testimony.packet_exported", obj=hearing,
                 details={"bill": bill.number, "witnesses": len(entries), "job": str(job.id)})
    return {"bill": bill.number, "witnesses": len(entries), "pages": len(writer.pages)}
