"""The submission pipeline (one service for the embed page and the JSON endpoint) and form management.

submission_receive: limits -> open? -> token -> honeypot / fill time -> validate -> (one transaction)
contact_upsert for the owner and for each co-sponsor entitled to the person (consents with their exact text, time
and IP) -> signed before? -> an RSVP's or testimony's sign-up -> one INSERT of the submission (its attribution and
the token's nonce, which claims the token), the action (signature, story, volunteer interest) and the outbox
rows -> webhooks -> (after commit and the response) the outbox drain's wake-up -> the thank-you.
"""
import ipaddress
import logging
import time
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address
from django.utils.translation import gettext as _

from contacts.inputs import PersonInput, validate_people
from contacts.changes import at_the_end, changes_at_the_end
from contacts.pgcopy import build, insert_together_sql
from contacts.services import contact_upsert
from jobs import queues
from organizations.after_response import after_response
from organizations.errors import DomainError
from organizations.services import audit_record

from .models import FormAction, FormCosponsor, Kind, OutboxMessage, Submission
from .ratelimit import check_limits
from .rendering import receiving_organizations, text_for
from .tokens import filled_too_fast, token_read
from .validation import UTM, validate_submission
from .webhooks import notify_submission, submission_subscribers

log = logging.getLogger(__name__)

#: kinds whose action needs a service that is not installed: refused clearly (none left since events merged)
UNAVAILABLE_KINDS: dict = {}
#: one action per person and form: signing twice keeps one signature (one sign-up per event or hearing)
ONE_PER_PERSON = {Kind.PETITION, Kind.VOLUNTEER, Kind.TESTIMONY, Kind.EVENT_RSVP}


@dataclass
class Receipt:
    """What the person is told. `submission` is None for a bot (which is told the same thing) and for a
    repeated token (the first submission is returned instead when it exists)."""

    form: object
    language: str
    submission: Submission | None = None
    outcome: str = "recorded"   # recorded | already_recorded | duplicate_token | discarded

    @property
    def thank_you_text(self) -> str:
        return text_for(self.form, "thank_you_text", self.language) or _("Thank you! Your response was recorded.")

    @property
    def redirect_url(self) -> str:
        return self.form.redirect_url


def kind_available(kind: str) -> bool:
    return kind not in UNAVAILABLE_KINDS


def ensure_open(form) -> None:
    if not kind_available(form.kind):
        raise DomainError("kind_unavailable", _("This kind of form is not available yet."), status=400)
    if (form.kind == Kind.EVENT_RSVP and form.event_id is None) or (
            form.kind == Kind.TESTIMONY and form.hearing_id is None):
        raise DomainError("form_not_ready", _("This form is not ready yet."), status=409)
    if not form.is_open():
        raise DomainError("form_closed", _("This form is closed and no longer takes responses."), status=410)


def origin_allowed(form, origin: str | None, own_origin: str | None = None) -> bool:
    """No Origin header (a non-browser client), our own origin (the iframe page), or one the form allows."""
    if not origin:
        return True
    origin = origin.rstrip("/")
    return origin == (own_origin or "").rstrip("/") or origin in {o.rstrip("/") for o in form.allowed_origins}


def recruiter_for(form, ref: str):
    """The organization credited: the co-sponsor whose referral code is given, else the owner."""
    if ref:
        cosponsor = next((c for c in form.cosponsors.all() if c.ref == ref), None)
        if cosponsor is not None:
            return cosponsor.organization
    return form.organization


def _person(form, cleaned, *, language: str, ip: str | None, coalition: bool, now) -> dict:
    values = cleaned.values
    person = {"given_name": values.get("given_name", ""), "family_name": values.get("family_name", ""),
              "language": language}
    if values.get("email"):
        person["emails"] = [{"address": values["email"]}]
    if values.get("phone"):
        person["phones"] = [{"number": values["phone"]}]
    if values.get("address_line1") or values.get("postal_code"):
        person["addresses"] = [{k: values.get(f, "") for k, f in (
            ("line1", "address_line1"), ("line2", "address_line2"), ("city", "city"), ("state", "state"),
            ("postal_code", "postal_code"))}]
    consents = []

    def consent(channel, scope, kind):
        consents.append({"channel": channel, "scope": scope, "status": "opt_in", "source": "form",
                         "text": text_for(form, f"{kind}_consent_text", language), "ip_address": ip,
                         "captured_at": now})
    if cleaned.consents.get("email") and values.get("email"):
        consent("email", "organization", "email")
    if cleaned.consents.get("sms") and values.get("phone"):
        consent("sms", "organization", "sms")
    if coalition and cleaned.consents.get("coalition"):
        if values.get("email"):
            consent("email", "coalition", "coalition")
        if values.get("phone") and cleaned.consents.get("sms"):
            consent("sms", "coalition", "coalition")
    if consents:
        person["consents"] = consents
    return person


def _validated_person(person: dict) -> dict:
    """The person as contacts.inputs.PersonInput validates it, without PersonInput's cost (about 1 ms a person,
    most of a submission's validation) in the ordinary case: the values take inputs' lean path (validate_people)
    and the consents built by _person are already what ConsentInput returns, unless one is unusual. Anything
    unusual goes through PersonInput, which names the field as before."""
    consents = person.get("consents", [])
    if all(_plain_consent(consent) for consent in consents):
        people, _errors = validate_people([{k: v for k, v in person.items() if k != "consents"}])
        if people:
            return {**people[0], "consents": consents} if "consents" in person else people[0]
    serializer = PersonInput(data=person)
    if not serializer.is_valid():
        log.info("form person refused by PersonInput: %s", serializer.errors)
        fields = {}
        for name in serializer.errors:
            field = {"emails": "email", "phones": "phone", "addresses": "postal_code"}.get(name, name)
            fields.setdefault(field, [_("Check this field.")])
        raise DomainError("validation_error", _("Check the highlighted fields."), fields=fields)
    return serializer.validated_data


def _plain_consent(consent: dict) -> bool:
    """Whether ConsentInput returns this consent of _person's as it is: its channel, scope, status and source are
    valid choices by construction; the form's text must be trimmed, without NUL and within 5,000 characters (a
    translation may be longer), the client's address absent or in canonical form."""
    text, ip = consent["text"], consent["ip_address"]
    if len(text) > 5000 or text != text.strip() or "\x00" in text:
        return False
    try:
        return ip is None or ip == (clean_ipv6_address(ip) if ":" in ip else str(ipaddress.IPv4Address(ip)))
    except (ValueError, ValidationError):
        return False


def _holder(form, recruiter, receivers):
    """Who records the sign-up: the recruiting member when it receives the person, else the owner."""
    return recruiter if any(o.pk == recruiter.pk for o in receivers) else form.organization


def _testimony_signup(form, contact, recruiter, receivers, cleaned, language) -> dict:
    """Sign the person up to testify through the testimony service (the recruiting member holds the witness
    when it receives the person, else the owner). Someone already signed up for the hearing stays as they are."""
    from testimony.services import testimony_create

    from .testimony import position_answers

    organization = _holder(form, recruiter, receivers)
    try:
        with transaction.atomic():
            testimony = testimony_create(
                hearing=form.hearing, organization=organization, contact=contact.pk,
                positions=position_answers(form, cleaned.answers), mode=cleaned.answers.get("mode") or "in_person",
                language=language)
    except DomainError as exc:
        if exc.code != "already_signed_up":
            raise
        return {"testimony": exc.extra.get("testimony"), "already_signed_up": True}
    return {"testimony": str(testimony.pk)}


def _action(form, contact, submission, recruiter, cleaned, outcome: str, details: dict | None = None):
    """The action to insert: a signature or volunteer interest already there is kept (inserted with ON CONFLICT
    DO NOTHING, so two concurrent signatures of one person cannot fail the request); a story is always added.
    None when the person had signed already (a volunteer's new answers are merged into the interest)."""
    details = details or ({"story": cleaned.values["story"]} if form.kind == Kind.STORY else dict(cleaned.answers))
    if outcome == "already_recorded":
        if form.kind == Kind.VOLUNTEER and details:
            action = FormAction.objects.filter(form=form, contact=contact).first()
            FormAction.objects.filter(pk=action.pk).update(details={**action.details, **details})
        return None
    return build(FormAction, form=form, contact=contact, kind=form.kind, submission=submission,
                 recruited_by=recruiter, details=details)


def _signed_before(form, contact) -> bool:
    """Whether the person's signature (or other one-per-person action) on this form is recorded already. The
    predicate is the one of the unique index one_action_per_form_contact, so PostgreSQL reads that index rather
    than every action of the form. Raw SQL: the ORM spent ten times the query's own cost composing it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {FormAction._meta.db_table} WHERE form_id = %s AND contact_id = %s "
                       f"AND kind <> %s LIMIT 1", [form.pk, contact.pk, Kind.STORY.value])
        return cursor.fetchone() is not None


def submission_receive(*, form, data: dict, ip: str | None = None, user_agent: str = "", language: str = "en",
                       now: float | None = None) -> Receipt:
    """Take one form submission. Raises DomainError (with the error shape's code, message and fields) for a
    throttled client, a closed form, a bad or expired token, and invalid input."""
    now = time.time() if now is None else now
    wait = check_limits(form=form, ip=ip)
    if wait is not None:
        raise DomainError("throttled", _("Too many submissions. Wait %(seconds)d seconds and try again.")
                          % {"seconds": wait}, status=429, extra={"retry_after": wait})
    ensure_open(form)
    token = token_read(data.get("token"), form, now=now)
    if (data.get("website") or "") or filled_too_fast(token, now=now):
        log.info("form %s: submission discarded (honeypot or fill time)", form.slug)
        return Receipt(form, language, outcome="discarded")
    cleaned, errors = validate_submission(form, data)
    if errors:
        raise DomainError("validation_error", _("Check the highlighted fields."), fields=errors)
    recruiter = recruiter_for(form, cleaned.attribution.get("ref", ""))
    receivers = receiving_organizations(form, recruiter)
    captured = timezone.now()
    owner_person = _validated_person(_person(form, cleaned, language=language, ip=ip, coalition=True, now=captured))
    other_person = None
    try:  # the contact's change rows go last, so the coalition's feed lock is held only for them and the commit
        with transaction.atomic(), changes_at_the_end():
            upserted = contact_upsert(organization=form.organization, person=owner_person, source="form")
            contact = upserted.contact
            for organization in receivers[1:]:
                if other_person is None:
                    other_person = _validated_person(_person(form, cleaned, language=language, ip=ip,
                                                             coalition=False, now=captured))
                contact = contact_upsert(organization=organization, person=other_person, source="form",
                                         contact=contact).contact
            outcome = ("already_recorded" if form.kind in ONE_PER_PERSON and upserted.outcome != "created"
                       and _signed_before(form, contact) else "recorded")  # someone new has signed nothing
            submission = build(
                Submission, form=form, contact=contact, outcome=outcome,
                answers=({**cleaned.answers, "story": cleaned.values["story"]} if form.kind == Kind.STORY
                         else cleaned.answers),
                language=language, recruited_by=recruiter,
                ref=cleaned.attribution.get("ref", "") if recruiter != form.organization else "",
                **{k: cleaned.attribution.get(k, "") for k in UTM},
                referrer_url=cleaned.attribution.get("referrer", ""), token_nonce=token.nonce, ip_address=ip,
                user_agent=(user_agent or "")[:300], created_at=captured)
            details = None
            if form.kind == Kind.TESTIMONY and outcome == "recorded":
                details = {**cleaned.answers, **_testimony_signup(form, contact, recruiter, receivers, cleaned,
                                                                  language)}
            if form.kind == Kind.EVENT_RSVP and outcome == "recorded":
                from .rsvp import event_signup
                details = {**cleaned.answers, **event_signup(form, contact, _holder(form, recruiter, receivers),
                                                             cleaned)}
            action = _action(form, contact, submission, recruiter, cleaned, outcome, details)
            messages = []
            if cleaned.values.get("email") and outcome == "recorded":
                messages.append(build(OutboxMessage, submission=submission, kind="confirmation",
                                      organization=form.organization))
            messages += [build(OutboxMessage, submission=submission, kind="notification", organization=organization)
                         for organization in receivers]
            # The token's nonce is unique per form: a repeated token fails here and the whole attempt rolls back
            # (a sign-up made above included).
            rows = insert_together_sql(([submission], ""), ([action] if action else [], "ON CONFLICT DO NOTHING"),
                                       (messages, ""))
            if submission_subscribers(submission):  # their payloads read the stored row: now
                with connection.cursor() as cursor:
                    cursor.execute(rows)
                notify_submission(submission)
            else:  # with the change rows, in the last round trip before the commit
                at_the_end(rows)
            if messages:
                transaction.on_commit(lambda: after_response("webforms.outbox", outbox_wake))
    except IntegrityError:
        # The same token again (a double-click, a retried POST): nothing new; answer as the first time.
        first = Submission.objects.filter(form=form, token_nonce=token.nonce).first()
        if first is None:
            raise
        return Receipt(form, language, submission=first, outcome="duplicate_token")
    return Receipt(form, language, submission=submission, outcome=outcome)


OUTBOX_QUEUED_MARKER = "webforms:outbox-drain-queued"
OUTBOX_MARKER_SECONDS = 3600
OUTBOX_BATCH = 100
SKIPPED, BUSY = "skipped", "busy"  # outbox_deliver's answers when it sent nothing


def outbox_wake(*, force: bool = False) -> bool:
    """Queue one `outbox_drain` unless one is queued and not started yet (a Redis marker), so a submission costs a
    SET rather than an rq job; `force` queues one anyway (the sweep, after a lost job). Never raises: with Redis
    down the rows stay pending and `manage.py webforms_sweep` wakes the drain later. Returns whether a drain is
    queued."""
    try:
        redis = queues.redis_connection()
        if redis.set(OUTBOX_QUEUED_MARKER, 1, nx=True, ex=OUTBOX_MARKER_SECONDS) or force:
            queues.queue().enqueue("webforms.jobs.outbox_drain", result_ttl=0, failure_ttl=7 * 86400)
    except Exception as exc:
        log.warning("outbox: could not queue the drain (%s); the sweep will", exc)
        return False
    return True


def outbox_drain() -> tuple[int, list[str]]:
    """Deliver every pending message, oldest first: (how many were sent, the failures). The marker goes first,
    so a submission committed from now on queues another drain; two drains at once share the work (a message
    being delivered by one is skipped by the other). A message that fails stays pending for the sweep."""
    queues.redis_connection().delete(OUTBOX_QUEUED_MARKER)
    sent, failures, after = 0, [], None
    while True:
        pending = OutboxMessage.objects.filter(status="pending").order_by("created_at", "id")
        if after is not None:
            pending = pending.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], id__gt=after[1]))
        batch = list(pending.values_list("created_at", "id")[:OUTBOX_BATCH])
        if not batch:
            return sent, failures
        after = batch[-1]
        for _created, message_id in batch:
            try:
                sent += outbox_deliver(str(message_id)) not in (SKIPPED, BUSY)
            except Exception as exc:  # noqa: BLE001 - reported by the job, after the other messages had their turn
                failures.append(f"{message_id}: {exc}")


def outbox_sweep(*, older_than_seconds: int = 60) -> int:
    """Wake the drain when messages are still pending after `older_than_seconds` (a lost wake-up or job, Redis
    down at the time, a failed delivery); returns how many are waiting, 0 when the drain could not be queued."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    waiting = OutboxMessage.objects.filter(status="pending", created_at__lte=cutoff)
    count = waiting.count()
    if count and outbox_wake(force=True):
        waiting.update(queued_at=timezone.now())
        return count
    return 0


def outbox_deliver(message_id: str) -> str:
    """Deliver one outbox message once (a finished one is skipped, so retries are harmless). A failure is recorded
    on the message (after the delivery's transaction rolled back) and raised."""
    from .delivery import deliver

    with transaction.atomic():
        message = (OutboxMessage.objects.select_for_update(of=("self",), skip_locked=True)
                   .select_related("submission__form__organization", "submission__contact", "organization")
                   .filter(pk=message_id).first())
        if message is None:  # being delivered by another drain right now (or deleted)
            return BUSY
        if message.status == "sent":
            return SKIPPED
        try:
            with transaction.atomic():
                result = deliver(message)
        except Exception as exc:
            failure = exc
        else:
            OutboxMessage.objects.filter(pk=message.pk).update(status="sent", sent_at=timezone.now(),
                                                               attempts=F("attempts") + 1, result=result[:500])
            return result
        OutboxMessage.objects.filter(pk=message.pk).update(attempts=F("attempts") + 1,
                                                           result=f"{type(failure).__name__}: {failure}"[:500])
    raise failure


# ---- management -------------------------------------------------------------------------------------------

def form_cosponsors_set(*, form, cosponsors: list[dict]) -> None:
    """Replace the co-sponsors: [{"organization": Organization, "sharing": ..., "ref": ...}]."""
    keep = []
    for item in cosponsors:
        organization = item["organization"]
        if organization.pk == form.organization_id:
            raise DomainError("invalid_cosponsor", "The owner cannot co-sponsor its own form.", field="cosponsors")
        if organization.coalition_id != form.organization.coalition_id:
            raise DomainError("invalid_cosponsor", f"{organization.slug} is not in your coalition.",
                              field="cosponsors")
        cosponsor, _ = FormCosponsor.objects.update_or_create(
            form=form, organization=organization,
            defaults={"sharing": item.get("sharing", "recruited"), "ref": item.get("ref") or organization.slug})
        keep.append(cosponsor.pk)
    FormCosponsor.objects.filter(form=form).exclude(pk__in=keep).delete()


@transaction.atomic
def form_save(*, organization, actor, data: dict, form=None):
    """Create (form None) or update a form of `organization` with validated data."""
    from .models import Form

    cosponsors = data.pop("cosponsors", None)
    kind = data.get("kind", form.kind if form else Kind.PETITION)
    if not kind_available(kind):
        raise DomainError("kind_unavailable", f"Forms of kind {kind!r} need the {UNAVAILABLE_KINDS[kind]} app, "
                          "which is not installed yet.", field="kind")
    event = data.get("event", form.event if form else None)
    if kind == Kind.EVENT_RSVP:
        from events.models import Event
        if event is None or not Event.objects.visible_to(organization).filter(pk=event.pk).exists():
            raise DomainError("invalid_event", "An RSVP form needs an event your organization can see.",
                              field="event")
    hearing = data.get("hearing", form.hearing if form else None)
    if kind == Kind.TESTIMONY:
        from testimony.models import Hearing
        if hearing is None or not Hearing.objects.visible_to(organization).filter(pk=hearing.pk).exists():
            raise DomainError("invalid_hearing", "A testimony form needs a hearing your organization can see.",
                              field="hearing")
    creating = form is None
    if creating:
        data.setdefault("allowed_origins", list(organization.allowed_embed_origins))
        form = Form(organization=organization)
    for name, value in data.items():
        setattr(form, name, value)
    form.modified_at = timezone.now()
    try:
        with transaction.atomic():
            form.save()
    except IntegrityError:
        raise DomainError("slug_taken", "A form with this slug exists already.", field="slug", status=409)
    if cosponsors is not None:
        form_cosponsors_set(form=form, cosponsors=cosponsors)
    audit_record(organization=organization, actor=actor, verb="form.created" if creating else "form.updated",
                 obj=form, details={"slug": form.slug})
    return form


def form_delete(*, form, actor) -> None:
    audit_record(organization=form.organization, actor=actor, verb="form.deleted", obj=form,
                 details={"slug": form.slug})
    form.delete()
