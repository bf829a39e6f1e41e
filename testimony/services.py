"""Writes on hearings and testimony (keyword-only services; no HTTP here).

Witnesses enter the system only through `contacts.services.contact_upsert`, so matching, consent and
attribution follow the contacts rules. The system assists witnesses to register themselves with the
legislature; it never registers anyone on their behalf.
"""
import hashlib
from datetime import datetime, timezone as dt_timezone
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from contacts.services import contact_for_write, contact_upsert
from organizations.errors import Conflict, DomainError
from organizations.models import Membership
from organizations.services import actor_label, audit_record

from . import workflow
from .bills import InvalidBillNumber, normalize_bill_number
from .deadlines import default_registration_deadline
from .files import DOCX, PDF, InvalidUpload, detect_type
from .models import Bill, Hearing, SpeakerSlot, Testimony, TestimonyDraft, TestimonyPosition, TestimonyTransition
from .notify import notify
from .speaker_order import Candidate, estimated_start, match_names, thresholds_crossed
from .webhooks import notify_testimony

HEARING_FIELDS = ["committee", "title", "starts_at", "timezone", "format", "room", "virtual_url", "registration_url",
                  "registration_deadline", "written_testimony_url", "written_deadline", "speaker_order_url",
                  "speaker_order_posted_at", "status", "visibility", "officials_minutes", "minutes_per_speaker"]
TESTIMONY_FIELDS = ["mode", "role", "affiliation", "language", "accessibility_needs", "review_notes"]


def local_text(moment: datetime, tz: str) -> str:
    """"Monday, March 9, 2026 at 3:00 PM EDT" for messages to witnesses."""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local:%A, %B} {local.day}, {local.year} at {local.strftime('%I:%M %p').lstrip('0')} {local.tzname()}"


# ---- hearings --------------------------------------------------------------------------------------------

def _schedule_reminders(hearing: Hearing) -> None:
    from .jobs import reminders_schedule

    transaction.on_commit(lambda: reminders_schedule(hearing.pk))


@transaction.atomic
def hearing_create(*, organization, data: dict, actor=None) -> Hearing:
    data = dict(data)
    bills = data.pop("bills", [])
    hearing = Hearing(host=organization, **{k: v for k, v in data.items() if k in HEARING_FIELDS})
    if data.get("registration_deadline"):
        hearing.registration_deadline_is_default = False
    else:
        hearing.registration_deadline = default_registration_deadline(hearing.starts_at, hearing.timezone)
    hearing.save()
    for index, bill in enumerate(bills):
        bill_add(hearing=hearing, order=index, **bill)
    audit_record(organization=organization, actor=actor, verb="hearing.created", obj=hearing,
                 details={"committee": hearing.committee, "starts_at": hearing.starts_at.isoformat()})
    _schedule_reminders(hearing)
    return hearing


@transaction.atomic
def hearing_update(*, hearing: Hearing, data: dict, actor=None) -> Hearing:
    """A new start time marks the hearing rescheduled (keeping the old one) and moves a default registration
    deadline with it; reminders are planned again for the new deadlines."""
    hearing = Hearing.objects.select_for_update().get(pk=hearing.pk)
    old_start, old_status = hearing.starts_at, hearing.status
    for name, value in data.items():
        if name in HEARING_FIELDS:
            setattr(hearing, name, value)
    if "registration_deadline" in data:
        hearing.registration_deadline_is_default = data["registration_deadline"] is None
    if hearing.starts_at != old_start:
        hearing.previous_starts_at = old_start
        if "status" not in data and hearing.status == Hearing.Status.SCHEDULED:
            hearing.status = Hearing.Status.RESCHEDULED
    if hearing.registration_deadline_is_default or hearing.registration_deadline is None:
        hearing.registration_deadline = default_registration_deadline(hearing.starts_at, hearing.timezone)
        hearing.registration_deadline_is_default = True
    hearing.modified_at = timezone.now()
    hearing.save()
    if hearing.starts_at != old_start:
        _refresh_estimates(hearing)
    if hearing.starts_at != old_start or (hearing.status == Hearing.Status.CANCELLED and old_status != hearing.status):
        _tell_change(hearing, actor)
    audit_record(organization=hearing.host, actor=actor, verb="hearing.updated", obj=hearing,
                 details={"fields": sorted(data)})
    _schedule_reminders(hearing)
    return hearing


def _tell_change(hearing: Hearing, actor=None) -> None:
    """Witnesses still on their way hear that the hearing moved or was cancelled (once per new start time)."""
    cancelled = hearing.status == Hearing.Status.CANCELLED
    when = local_text(hearing.starts_at, hearing.timezone)
    for testimony in hearing.testimonies.exclude(status__in=workflow.FINAL).select_related("contact", "organization"):
        notify(testimony=testimony, kind="hearing_cancelled" if cancelled else "hearing_rescheduled",
               key="cancelled" if cancelled else f"rescheduled:{hearing.starts_at.isoformat()}",
               subject=f"The {hearing.committee} Committee hearing is " + ("cancelled" if cancelled else "moved"),
               body=(f"The {hearing.committee} Committee cancelled its hearing. We will tell you if it is "
                     f"rescheduled." if cancelled else
                     f"The {hearing.committee} Committee hearing is now on {when}. Registration closes "
                     f"{local_text(hearing.registration_deadline, hearing.timezone)}."), actor=actor)


def bill_add(*, hearing: Hearing, number: str, title: str = "", lco_number: str = "", order: int | None = None,
             actor=None) -> tuple[Bill, bool]:
    """Add a bill to the agenda; the same bill spelled another way is the same agenda item (updated)."""
    try:
        normalized = normalize_bill_number(number)
    except InvalidBillNumber as exc:
        raise DomainError("invalid_bill_number", str(exc), field="number")
    bill = Bill.objects.filter(hearing=hearing, number=normalized).first()
    if bill is not None:
        changed = {k: v for k, v in (("title", title), ("lco_number", lco_number)) if v and getattr(bill, k) != v}
        if changed:
            Bill.objects.filter(pk=bill.pk).update(**changed)
            bill.refresh_from_db()
        return bill, False
    if order is None:
        order = (hearing.bills.aggregate(m=Max("order"))["m"] or 0) + 1
    return Bill.objects.create(hearing=hearing, number=normalized, title=title, lco_number=lco_number,
                               order=order), True


def _bill_on_agenda(hearing: Hearing, number: str, field: str) -> Bill:
    try:
        normalized = normalize_bill_number(number)
    except InvalidBillNumber as exc:
        raise DomainError("invalid_bill_number", str(exc), field=field)
    bill = hearing.bills.filter(number=normalized).first()
    if bill is None:
        raise DomainError("bill_not_on_agenda", f"{normalized} is not on this hearing's agenda.", field=field)
    return bill


# ---- testimonies -----------------------------------------------------------------------------------------

def _coach(organization, username: str | None):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not Membership.objects.filter(user=user, organization=organization).exists():
        raise DomainError("invalid_coach", f"{username!r} is not a staff member of {organization}.", field="coach")
    return user


def _agenda_positions(hearing: Hearing, positions: list[dict]) -> dict:
    bills = {}
    for index, item in enumerate(positions):
        bill = _bill_on_agenda(hearing, item["bill"], f"positions[{index}].bill")
        bills[bill.pk] = (bill, item["position"])
    return bills


def _set_positions(testimony: Testimony, positions: list[dict]) -> None:
    bills = _agenda_positions(testimony.hearing, positions)
    testimony.positions.exclude(bill_id__in=bills).delete()
    for bill, position in bills.values():
        TestimonyPosition.objects.update_or_create(testimony=testimony, bill=bill, defaults={"position": position})


def _record(testimony: Testimony, from_status: str, to_status: str, actor, note: str = "", **details):
    """Every status change of a testimony ends here: its history row, and the recruiting organization's webhook."""
    TestimonyTransition.objects.create(testimony=testimony, from_status=from_status, to_status=to_status,
                                       actor=actor_label(actor), note=note, details=details)
    notify_testimony(testimony)


@transaction.atomic
def testimony_create(*, hearing: Hearing, organization, actor=None, contact=None, person: dict | None = None,
                     positions: list[dict] | None = None, coach: str | None = None, **fields) -> Testimony:
    """Sign a witness up for a hearing: the contact is matched or created by contact_upsert and held by the
    recruiting organization. One person testifies once per hearing, whoever recruited them."""
    if hearing.status == Hearing.Status.CANCELLED:
        raise Conflict("hearing_cancelled", "This hearing is cancelled.")
    _agenda_positions(hearing, positions or [])  # refuse a bad agenda item before touching the contact
    if contact is not None:
        found = contact_for_write(organization, contact)
        result = contact_upsert(organization=organization, person={}, source="testimony", actor=actor, contact=found)
    else:
        result = contact_upsert(organization=organization, person=person or {}, source="testimony", actor=actor)
    witness = result.contact
    existing = Testimony.objects.filter(hearing=hearing, contact=witness).first()
    if existing is not None:
        mine = existing.organization_id == organization.pk
        raise Conflict("already_signed_up", "This person is already signed up for this hearing"
                       + (" (by your organization)." if mine else " by another member organization."),
                       extra={"testimony": str(existing.pk)} if mine else {})
    testimony = Testimony(hearing=hearing, contact=witness, organization=organization,
                          coach=_coach(organization, coach),
                          **{k: v for k, v in fields.items() if k in TESTIMONY_FIELDS})
    if not testimony.language:
        testimony.language = witness.language
    try:
        with transaction.atomic():
            testimony.save()
    except IntegrityError:
        raise Conflict("already_signed_up", "This person is already signed up for this hearing.")
    _set_positions(testimony, positions or [])
    _record(testimony, "", testimony.status, actor, note="signed up")
    audit_record(organization=organization, actor=actor, verb="testimony.created", obj=testimony,
                 details={"hearing": str(hearing.pk), "contact": str(witness.pk)})
    return testimony


@transaction.atomic
def testimony_update(*, testimony: Testimony, data: dict, actor=None) -> Testimony:
    for name in TESTIMONY_FIELDS:
        if name in data:
            setattr(testimony, name, data[name])
    if "coach" in data:
        testimony.coach = _coach(testimony.organization, data["coach"])
    if "positions" in data:
        _set_positions(testimony, data["positions"])
    testimony.modified_at = timezone.now()
    testimony.save()
    return testimony


def registration_checklist(testimony: Testimony) -> dict:
    """What a witness needs to register themselves with the committee (the system never does it for them)."""
    hearing = testimony.hearing
    bills = [f"{p.bill.number} ({p.position})" for p in testimony.positions.all()]  # prefetched by the API
    deadline = local_text(hearing.registration_deadline, hearing.timezone)
    mode = {"in_person": "in person", "zoom": "on Zoom", "phone": "by phone"}.get(testimony.mode, "")
    steps = [
        f"Open the committee's registration form: {hearing.registration_url or '(link not posted yet)'}",
        f"Register before {deadline}; late registrations are not accepted.",
        "Register yourself, with your own email address: each speaker needs a unique email, and sign-up sheets "
        "from organizations have no standing with the committee.",
        f"Choose to testify {mode}." if mode else "You are submitting written testimony only.",
        f"Name the bills you will speak on: {', '.join(bills) or 'see the hearing agenda'}.",
        "Your name, what you say and what you submit become public and searchable online.",
        "Forward or paste the confirmation the committee sends you to your coach.",
    ]
    if hearing.written_testimony_url:
        written = local_text(hearing.written_deadline, hearing.timezone) if hearing.written_deadline else None
        steps.append(f"Upload written testimony (one per bill) at {hearing.written_testimony_url}"
                     + (f" before {written}." if written else "."))
    return {"registration_url": hearing.registration_url, "registration_deadline": hearing.registration_deadline,
            "written_testimony_url": hearing.written_testimony_url, "written_deadline": hearing.written_deadline,
            "checklist": steps}


def _send_registration_step(testimony: Testimony, actor=None) -> bool:
    """The registration link and checklist, once the witness is ready and has consented to the public record."""
    if testimony.mode == Testimony.Mode.WRITTEN_ONLY or not testimony.has_public_record_consent:
        return False
    info = registration_checklist(testimony)
    body = "\n".join([f"Hello {testimony.contact.given_name or ''},".replace(" ,", ","), "",
                      f"You are ready to register for the {testimony.hearing.committee} Committee hearing on "
                      f"{local_text(testimony.hearing.starts_at, testimony.hearing.timezone)}.", "",
                      *[f"{n}. {step}" for n, step in enumerate(info["checklist"], start=1)]])
    notify(testimony=testimony, kind="registration_step", key=f"registration-step:{testimony.hearing.registration_deadline.isoformat()}",
           subject=f"Register to testify before the {testimony.hearing.committee} Committee", body=body, actor=actor)
    return True


@transaction.atomic
def testimony_transition(*, testimony: Testimony, to: str, actor=None, note: str = "", confirmation: str = "",
                         position: int | None = None) -> Testimony:
    testimony = Testimony.objects.select_for_update().select_related("hearing", "contact").get(pk=testimony.pk)
    current = testimony.status
    if to not in workflow.STATUSES:
        raise DomainError("invalid_status", f"{to!r} is not a status; statuses: {', '.join(workflow.STATUSES)}.",
                          field="to")
    if not workflow.can_move(current, to):
        allowed = workflow.allowed(current)
        raise Conflict("illegal_transition", f"A testimony in {current} may move to: "
                       f"{', '.join(allowed) or 'nothing (it is final)'}; not to {to}.",
                       extra={"status": current, "allowed": allowed})
    if to == "registered":
        if not testimony.has_public_record_consent:
            raise Conflict("public_record_consent_required", "The witness must consent to appearing in the public "
                           "record before registering.", extra={"status": current})
        if not confirmation.strip():
            raise DomainError("confirmation_required", "Paste the confirmation the witness received from the "
                              "committee (registration is self-reported).", field="confirmation")
        testimony.registration_confirmation, testimony.registered_at = confirmation.strip(), timezone.now()
    if to == "in_speaker_order":
        if not position or position < 1:
            raise DomainError("position_required", "Give the witness's place in the posted speaker order.",
                              field="position")
        _place(testimony, position)
    if current == "in_speaker_order" and to == "registered":
        testimony.speaker_position = testimony.estimated_start = None
    testimony.status = to
    testimony.modified_at = timezone.now()
    testimony.save()
    _record(testimony, current, to, actor, note, **({"confirmation": confirmation.strip()} if confirmation else {}),
            **({"position": position} if position else {}))
    if to == "reviewed":
        _send_registration_step(testimony, actor)
    return testimony


@transaction.atomic
def public_record_consent_record(*, testimony: Testimony, text: str, captured_at=None, actor=None) -> Testimony:
    """The witness's explicit consent to appear in the public record (separate from marketing consent). A
    witness waiting at the registration step gets the link now."""
    if not text.strip():
        raise DomainError("consent_text_required", "Record the exact wording the witness agreed to.", field="text")
    testimony.public_record_consent_text = text.strip()
    testimony.public_record_consent_at = captured_at or timezone.now()
    testimony.modified_at = timezone.now()
    testimony.save(update_fields=["public_record_consent_text", "public_record_consent_at", "modified_at"])
    audit_record(organization=testimony.organization, actor=actor, verb="testimony.public_record_consent",
                 obj=testimony, details={"captured_at": testimony.public_record_consent_at.isoformat()})
    if testimony.status == "reviewed":
        _send_registration_step(testimony, actor)
    return testimony


# ---- drafts ----------------------------------------------------------------------------------------------

@transaction.atomic
def draft_add(*, testimony: Testimony, text: str = "", upload=None, bill: str | None = None, note: str = "",
              actor=None) -> TestimonyDraft:
    """A new version of the written testimony. A first draft moves a recruited or drafting witness to
    draft_received."""
    testimony = Testimony.objects.select_for_update().get(pk=testimony.pk)
    if testimony.status in workflow.FINAL - {"written_submitted"}:
        raise Conflict("testimony_closed", f"This testimony is {testimony.status}.")
    draft = TestimonyDraft(testimony=testimony, note=note, created_by=actor_label(actor),
                           bill=_bill_on_agenda(testimony.hearing, bill, "bill") if bill else None)
    if upload is not None:
        if upload.size > 10 * 1024 * 1024:  # before reading it into memory
            raise DomainError("file_too_large", "The file is larger than 10 MB.", field="file")
        data = upload.read()
        try:
            draft.kind = detect_type(data)
        except InvalidUpload as exc:
            raise DomainError(exc.code, str(exc), field="file")
        draft.filename, draft.size = (upload.name or f"testimony.{draft.kind}")[-255:], len(data)
        draft.sha256 = hashlib.sha256(data).hexdigest()
    elif text.strip():
        draft.kind, draft.text, draft.size = TestimonyDraft.Kind.TEXT, text.strip(), len(text.strip().encode())
        draft.sha256 = hashlib.sha256(draft.text.encode()).hexdigest()
    else:
        raise DomainError("draft_empty", "Send the testimony as text or upload a PDF or DOCX file.", field="text")
    draft.version = (testimony.drafts.aggregate(m=Max("version"))["m"] or 0) + 1
    if upload is not None:
        suffix = {PDF: "pdf", DOCX: "docx"}[draft.kind]
        draft.file.save(f"{testimony.pk}-v{draft.version}.{suffix}", ContentFile(data), save=False)
    draft.save()
    if testimony.status in ("recruited", "drafting"):
        previous = testimony.status
        testimony.status, testimony.modified_at = "draft_received", timezone.now()
        testimony.save(update_fields=["status", "modified_at"])
        _record(testimony, previous, "draft_received", actor, note=f"draft version {draft.version}")
    return draft


# ---- speaker order ---------------------------------------------------------------------------------------

def _place(testimony: Testimony, position: int) -> None:
    hearing = testimony.hearing
    testimony.speaker_position = position
    testimony.estimated_start = estimated_start(hearing.starts_at, position, hearing.officials_minutes,
                                                hearing.minutes_per_speaker)


def _refresh_estimates(hearing: Hearing) -> None:
    for testimony in hearing.testimonies.filter(speaker_position__isnull=False):
        _place(testimony, testimony.speaker_position)
        testimony.save(update_fields=["speaker_position", "estimated_start"])


SPEAKER_CANDIDATE_EXCLUDED = {"withdrawn", "testified", "no_show", "written_submitted"}


def _tell_position(testimony: Testimony, actor=None) -> None:
    hearing = testimony.hearing
    notify(testimony=testimony, kind="speaker_position", key=f"speaker-position:{testimony.speaker_position}",
           subject=f"You are speaker {testimony.speaker_position} at the {hearing.committee} Committee hearing",
           body=f"The committee posted its speaker order: you are number {testimony.speaker_position}. After the "
                f"time reserved for officials, expect to speak around "
                f"{local_text(testimony.estimated_start, hearing.timezone)} (an estimate: the hearing may run faster "
                f"or slower). We will tell you as your turn gets close.",
           channels=("email", "sms"), actor=actor)


def _assign(slot: SpeakerSlot, testimony: Testimony, rule: str, actor) -> str:
    """Put a matched witness in the speaker order; returns what happened to their status."""
    slot.testimony, slot.match_rule = testimony, rule
    slot.save(update_fields=["testimony", "match_rule"])
    _place(testimony, slot.position)
    outcome = "placed"
    if testimony.status in ("registered", "reviewed", "draft_received", "drafting", "recruited"):
        if testimony.status != "registered" and testimony.has_public_record_consent:
            # being on the committee's list proves the witness registered themselves
            _record(testimony, testimony.status, "registered", actor, note="listed in the posted speaker order")
            testimony.status, testimony.registered_at = "registered", testimony.registered_at or timezone.now()
            testimony.registration_confirmation = testimony.registration_confirmation or (
                f"Listed at position {slot.position} in the committee's posted speaker order.")
        if testimony.status == "registered":
            _record(testimony, "registered", "in_speaker_order", actor, position=slot.position)
            testimony.status = "in_speaker_order"
        else:
            outcome = "placed_without_public_record_consent"
    testimony.modified_at = timezone.now()
    testimony.save()
    _tell_position(testimony, actor)
    return outcome


@transaction.atomic
def speaker_order_import(*, hearing: Hearing, entries: list[tuple[int, str]], actor=None, posted_at=None,
                         url: str | None = None) -> dict:
    """Replace the hearing's speaker order with the posted one, match names to the hearing's witnesses (of every
    member), place and tell the matched ones, and return the review list of names that matched no one."""
    hearing = Hearing.objects.select_for_update().get(pk=hearing.pk)
    if not entries:
        raise DomainError("speaker_order_empty", "The speaker order has no names.", field="names")
    candidates_qs = (hearing.testimonies.exclude(status__in=SPEAKER_CANDIDATE_EXCLUDED)
                     .exclude(mode=Testimony.Mode.WRITTEN_ONLY).select_related("contact", "hearing"))
    testimonies = {t.pk: t for t in candidates_qs}
    matches = match_names(entries, [Candidate(t.pk, t.contact.given_name, t.contact.family_name)
                                  for t in testimonies.values()])
    previously = set(hearing.speaker_slots.exclude(testimony=None).values_list("testimony_id", flat=True))
    hearing.speaker_slots.all().delete()
    slots = SpeakerSlot.objects.bulk_create([SpeakerSlot(hearing=hearing, position=m.position, name=m.name[:300])
                                            for m in matches])
    outcomes = {}
    for match, slot in zip(matches, slots):
        if match.key is not None:
            outcomes[match.key] = _assign(slot, testimonies[match.key], match.rule, actor)
    for testimony_id in previously - set(outcomes):  # a corrected order no longer lists them
        testimony = testimonies.get(testimony_id)
        if testimony is not None and testimony.status == "in_speaker_order":
            _record(testimony, "in_speaker_order", "registered", actor, note="not in the corrected speaker order")
            testimony.status, testimony.speaker_position, testimony.estimated_start = "registered", None, None
            testimony.save()
    hearing.speaker_order_posted_at = posted_at or hearing.speaker_order_posted_at or timezone.now()
    if url:
        hearing.speaker_order_url = url
    hearing.save(update_fields=["speaker_order_posted_at", "speaker_order_url"])
    audit_record(organization=hearing.host, actor=actor, verb="hearing.speaker_order_imported", obj=hearing,
                 details={"names": len(entries), "matched": len(outcomes)})
    return {"slots": slots, "matches": matches, "outcomes": outcomes}


@transaction.atomic
def speaker_order_link(*, hearing: Hearing, position: int, testimony: Testimony, actor=None) -> SpeakerSlot:
    """Resolve an unmatched name by hand: this posted position is this witness."""
    slot = hearing.speaker_slots.select_for_update().filter(position=position).first()
    if slot is None:
        raise DomainError("not_found", f"No position {position} in the speaker order.", field="position",
                          status=404)
    if testimony.hearing_id != hearing.pk:
        raise DomainError("wrong_hearing", "That testimony is for another hearing.", field="testimony")
    if slot.testimony_id and slot.testimony_id != testimony.pk:
        raise Conflict("position_taken", f"Position {position} is already matched to a witness.")
    hearing.speaker_slots.filter(testimony=testimony).exclude(pk=slot.pk).update(testimony=None, match_rule="")
    _assign(slot, testimony, "manual", actor)
    return slot


def speakers_ahead(hearing: Hearing) -> dict[int, int]:
    """{position: speakers not yet done before it} for every slot not done."""
    ahead, count = {}, 0
    for slot in hearing.speaker_slots.order_by("position"):
        if slot.done_at is None:
            ahead[slot.position] = count
            count += 1
    return ahead


@transaction.atomic
def speaker_order_done(*, hearing: Hearing, through: int | None = None, positions: list[int] | None = None,
                       actor=None) -> dict:
    """Staff mark speakers done; each later coalition witness whose queue shrinks past a threshold is told
    "about N speakers before you" (once per threshold)."""
    slots = hearing.speaker_slots.select_for_update()
    chosen = slots.filter(position__lte=through) if through else slots.filter(position__in=positions or [])
    marked = chosen.filter(done_at__isnull=True).update(done_at=timezone.now())
    ahead = speakers_ahead(hearing)
    told = 0
    for slot in slots.filter(done_at__isnull=True, testimony__isnull=False).select_related(
            "testimony__hearing", "testimony__contact", "testimony__organization"):
        now_ahead = ahead[slot.position]
        crossed = thresholds_crossed(slot.notified_ahead, now_ahead)
        if crossed and slot.testimony.status == "in_speaker_order":
            notify(testimony=slot.testimony, kind="queue_update", key=f"queue:{slot.position}:{min(crossed)}",
                   subject="Your turn to testify is getting close",
                   body=(f"About {now_ahead} speaker{'s' if now_ahead != 1 else ''} before you" if now_ahead
                         else "You are next") + f" (you are number {slot.position}). Please be ready"
                        f"{' in the hearing room' if slot.testimony.mode == 'in_person' else ''}.",
                   channels=("email", "sms"), actor=actor)
            told += 1
        if slot.notified_ahead != now_ahead:
            SpeakerSlot.objects.filter(pk=slot.pk).update(notified_ahead=now_ahead)
    return {"marked": marked, "remaining": len(ahead), "notified": told}


# ---- coordination ----------------------------------------------------------------------------------------

def _counts(rows: list[dict], key: str) -> dict[str, int]:
    out = {}
    for row in rows:
        out[row[key]] = out.get(row[key], 0) + 1
    return dict(sorted(out.items()))


def hearing_summary(*, hearing: Hearing, organization) -> dict:
    """Counts of witnesses by position, mode, organization and status, for the hearing and per bill. Built from
    `Testimony.objects.counted_for`, so it never returns a witness, only numbers; withdrawn witnesses are left
    out of the counts (and counted on their own)."""
    testimonies = Testimony.objects.counted_for(organization).filter(hearing=hearing)
    active = testimonies.exclude(status="withdrawn")
    rows = list(active.values("id", "mode", "status", "organization__slug"))
    by_id = {row["id"]: row for row in rows}
    summary = {"witnesses": len(rows), "withdrawn": testimonies.filter(status="withdrawn").count(),
               "mine": sum(1 for r in rows if r["organization__slug"] == organization.slug),
               "by_mode": _counts(rows, "mode"), "by_status": _counts(rows, "status"),
               "by_organization": _counts(rows, "organization__slug"), "bills": []}
    positions = list(TestimonyPosition.objects.filter(testimony__in=active).values("bill_id", "testimony_id",
                                                                                    "position"))
    for bill in hearing.bills.all():
        bill_rows = [{**by_id[p["testimony_id"]], "position": p["position"]} for p in positions
                     if p["bill_id"] == bill.pk]
        summary["bills"].append({
            "bill": bill.number, "title": bill.title, "witnesses": len(bill_rows),
            "by_position": _counts(bill_rows, "position"), "by_mode": _counts(bill_rows, "mode"),
            "by_organization": _counts(bill_rows, "organization__slug"),
            "by_organization_position": {slug: _counts([r for r in bill_rows if r["organization__slug"] == slug],
                                                       "position")
                                         for slug in _counts(bill_rows, "organization__slug")}})
    summary["by_position"] = _counts([{"position": p["position"]} for p in positions], "position")
    return summary


# ---- reminders -------------------------------------------------------------------------------------------

def reminders_send(*, hearing: Hearing, now: datetime | None = None) -> dict:
    """Send every reminder that is due now: a day before and three hours before the registration deadline (to
    witnesses who will speak and have not registered) and the written deadline (to witnesses who have not
    submitted), only to witnesses who consented to the public record (both steps make them public). By email,
    and by SMS to witnesses with an SMS opt-in (messaging checks both). Run outside a transaction (an rq job); messaging never sends a dedupe
    key twice, and the key carries the deadline, so a moved deadline gets its own reminders."""
    from .deadlines import reminder_times

    now = now or timezone.now()
    sent = 0
    if hearing.status == Hearing.Status.CANCELLED:
        return {"sent": 0}
    deadlines = [("registration", hearing.registration_deadline, workflow.BEFORE_REGISTRATION),
                 ("written", hearing.written_deadline, workflow.BEFORE_WRITTEN)]
    for name, deadline, statuses in deadlines:
        if deadline is None or now >= deadline:
            continue
        due = [label for label, at in reminder_times(deadline, hearing.timezone).items() if at <= now]
        if not due:
            continue
        label = "three_hours_before" if "three_hours_before" in due else "day_before"
        witnesses = (hearing.testimonies.filter(status__in=statuses).exclude(public_record_consent_at=None)
                     .select_related("contact", "organization", "hearing"))
        if name == "registration":
            witnesses = witnesses.exclude(mode=Testimony.Mode.WRITTEN_ONLY)
        for testimony in witnesses:
            when = local_text(deadline, hearing.timezone)
            if name == "registration":
                subject = f"Reminder: register to testify by {when}"
                body = (f"Registration for the {hearing.committee} Committee hearing closes {when}. Register yourself "
                        f"at {hearing.registration_url or 'the link in the hearing notice'} with your own email "
                        f"address, then send us the confirmation you receive.")
            else:
                subject = f"Reminder: written testimony is due {when}"
                body = (f"Written testimony for the {hearing.committee} Committee hearing is due {when}. Submit it "
                        f"(one document per bill) at {hearing.written_testimony_url or 'the committee page'}.")
            notify(testimony=testimony, kind=f"{name}_reminder", key=f"{name}:{label}:{deadline.isoformat()}",
                   subject=subject, body=body, channels=("email", "sms"))
            sent += 1
    return {"sent": sent}
