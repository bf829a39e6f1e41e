"""Writes on events, shifts and signups. Every rule of issue 5 lives here; the API only validates shapes.

Concurrency: a signup (and every status change that frees or takes a place) locks the event row with
SELECT ... FOR UPDATE, so capacity checks and waitlist promotion of one event run one at a time: no overbooking.
Messages to people are queued on commit (events.jobs) and sent at most once (messaging.send_once).
"""
from dataclasses import dataclass

import nh3
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from contacts.models import Contact
from contacts.services import contact_upsert, resolve
from organizations import rawsql
from organizations.errors import Conflict, DomainError
from organizations.services import actor_label, audit_record

from . import schedule
from .models import (ACTIVE, HOLDING, Event, EventCoHost, EventStatus, Shift, Signup, SignupSource, SignupStatus,
                     SignupStatusChange)
from .webhooks import notify_signup, signup_audience

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote"}

#: signup status -> statuses it may move to
TRANSITIONS = {
    SignupStatus.REGISTERED: {SignupStatus.CONFIRMED, SignupStatus.CANCELLED, SignupStatus.ATTENDED,
                              SignupStatus.NO_SHOW},
    SignupStatus.CONFIRMED: {SignupStatus.REGISTERED, SignupStatus.CANCELLED, SignupStatus.ATTENDED,
                             SignupStatus.NO_SHOW},
    SignupStatus.WAITLISTED: {SignupStatus.REGISTERED, SignupStatus.CONFIRMED, SignupStatus.CANCELLED},
    SignupStatus.CANCELLED: {SignupStatus.REGISTERED},
    SignupStatus.ATTENDED: {SignupStatus.NO_SHOW},   # a correction at the door
    SignupStatus.NO_SHOW: {SignupStatus.ATTENDED},   # came late, checked in after the sweep
}

EVENT_TRANSITIONS = {
    EventStatus.DRAFT: {EventStatus.PUBLISHED, EventStatus.CANCELLED},
    EventStatus.PUBLISHED: {EventStatus.DRAFT, EventStatus.CANCELLED, EventStatus.COMPLETED},
    EventStatus.CANCELLED: {EventStatus.PUBLISHED},
    EventStatus.COMPLETED: set(),
}
#: event fields whose change people who signed up are told about
NOTIFIED_FIELDS = {"starts_at", "ends_at", "timezone", "venue", "line1", "city", "state", "postal_code",
                   "virtual_url", "is_virtual"}


def sanitize(html: str) -> str:
    return nh3.clean(html or "", tags=ALLOWED_TAGS, link_rel="noopener noreferrer nofollow")


# ---- events and shifts -------------------------------------------------------------------------------------

def _check_times(starts_at, ends_at, field="ends_at"):
    if starts_at and ends_at and ends_at <= starts_at:
        raise DomainError("invalid_times", "The end must be after the start.", field=field)


def _places(queryset) -> int:
    return queryset.filter(status__in=HOLDING).aggregate(n=Coalesce(Sum(F("guests") + 1), 0))["n"]


@transaction.atomic
def event_create(*, organization, data: dict, actor=None) -> Event:
    data = dict(data)
    co_hosts = data.pop("co_hosts", [])
    shifts = data.pop("shifts", [])
    _check_times(data.get("starts_at"), data.get("ends_at"))
    data["description"] = sanitize(data.get("description", ""))
    event = Event.objects.create(coalition_id=organization.coalition_id, host=organization, **data)
    _set_co_hosts(event, co_hosts)
    for shift in shifts:
        shift_create(event=event, data=shift, actor=actor)
    audit_record(organization=organization, actor=actor, verb="event.created", obj=event)
    return event


def _set_co_hosts(event, co_hosts):
    wanted = {}
    for item in co_hosts:
        org = item["organization"]
        if org.pk == event.host_id:
            raise DomainError("invalid_co_host", "The host cannot also be a co-host.", field="co_hosts")
        if org.coalition_id != event.coalition_id:
            raise DomainError("invalid_co_host", f"{org.slug} is not a member of this coalition.", field="co_hosts")
        wanted[org.pk] = item.get("sharing", "totals")
    EventCoHost.objects.filter(event=event).exclude(organization_id__in=wanted).delete()
    for org_id, sharing in wanted.items():
        EventCoHost.objects.update_or_create(event=event, organization_id=org_id, defaults={"sharing": sharing})


@transaction.atomic
def event_update(*, event: Event, data: dict, actor=None) -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    data = dict(data)
    co_hosts = data.pop("co_hosts", None)
    data.pop("shifts", None)
    if "description" in data:
        data["description"] = sanitize(data["description"])
    starts_at, ends_at = data.get("starts_at", event.starts_at), data.get("ends_at", event.ends_at)
    _check_times(starts_at, ends_at, "ends_at" if "ends_at" in data else "starts_at")
    outside = event.shifts.filter(Q(starts_at__lt=starts_at) | Q(ends_at__gt=ends_at))
    if outside.exists():
        raise DomainError("shift_outside_event", f"{outside.count()} shift(s) would fall outside the event; "
                          "move them first.", field="starts_at")
    if "capacity" in data and data["capacity"] is not None:
        taken = _places(event.signups)
        if data["capacity"] < taken:
            raise Conflict("capacity_below_registrations",
                           f"Capacity {data['capacity']} is below the {taken} places already taken.", field="capacity")
    if "status" in data and data["status"] != event.status:
        if data["status"] not in EVENT_TRANSITIONS[event.status]:
            raise Conflict("invalid_status_change", f"An event cannot go from {event.status} to {data['status']}.",
                           field="status")
    changed = {name for name, value in data.items() if getattr(event, name) != value}
    for name, value in data.items():
        setattr(event, name, value)
    notify = None
    if "status" in changed and event.status == EventStatus.CANCELLED:
        notify = "cancelled"
    elif changed & NOTIFIED_FIELDS and event.status == EventStatus.PUBLISHED:
        notify = "changed"
    if notify:
        event.revision += 1
    event.modified_at = timezone.now()
    event.save()
    if co_hosts is not None:
        _set_co_hosts(event, co_hosts)
    if "capacity" in changed:
        _promote(event, actor)
    if notify:
        for signup in event.signups.filter(status__in=ACTIVE):
            schedule.notify(signup, notify, token=event.revision)
    if changed & {"starts_at", "ends_at"} or ("status" in changed and event.status == EventStatus.PUBLISHED):
        for signup in event.signups.filter(status__in=[SignupStatus.REGISTERED, SignupStatus.CONFIRMED]):
            schedule.reminders(signup)
        if event.check_in_started_at:
            schedule.no_shows(event)
    audit_record(organization=event.host, actor=actor, verb="event.updated", obj=event,
                 details={"changed": sorted(changed)})
    return event


def _check_shift(event, starts_at, ends_at, field="starts_at"):
    _check_times(starts_at, ends_at)
    if starts_at < event.starts_at or ends_at > event.ends_at:
        raise DomainError("shift_outside_event", "A shift must fall within its event "
                          f"({event.starts_at.isoformat()} to {event.ends_at.isoformat()}).", field=field)


def shift_create(*, event: Event, data: dict, actor=None) -> Shift:
    _check_shift(event, data["starts_at"], data["ends_at"])
    return Shift.objects.create(event=event, **data)


@transaction.atomic
def shift_update(*, shift: Shift, data: dict, actor=None) -> Shift:
    event = Event.objects.select_for_update().get(pk=shift.event_id)
    _check_shift(event, data.get("starts_at", shift.starts_at), data.get("ends_at", shift.ends_at))
    if data.get("capacity") is not None:
        taken = _places(shift.signups)
        if data["capacity"] < taken:
            raise Conflict("capacity_below_registrations",
                           f"Capacity {data['capacity']} is below the {taken} places already taken.", field="capacity")
    for name, value in data.items():
        setattr(shift, name, value)
    shift.save()
    _promote(event, actor)
    return shift


def shift_delete(*, shift: Shift, actor=None) -> None:
    if shift.signups.exists():
        raise Conflict("shift_has_signups", "This shift has signups; cancel or move them first.")
    shift.delete()


# ---- signups -----------------------------------------------------------------------------------------------

@dataclass
class SignupResult:
    signup: Signup
    created: bool


# The capacity rule, in plain SQL on the hot path (the ORM spent more CPU compiling it than PostgreSQL spent
# running it): whether `places` more fit the event's and the shift's capacities, against the places held when
# the statement starts -- so the caller locks the event row in an earlier statement, and no concurrent signup
# slips past. Capacities are read here too, as of the lock. Served by the (event, status) index.
_ROOM_SQL = f"""
SELECT (e.capacity IS NULL OR held.event_places + %(places)s <= e.capacity)
       AND (s.capacity IS NULL OR held.shift_places + %(places)s <= s.capacity) AS fits
FROM {Event._meta.db_table} e LEFT JOIN {Shift._meta.db_table} s ON s.id = %(shift)s AND s.event_id = e.id,
     LATERAL (SELECT COALESCE(SUM(guests + 1), 0) AS event_places,
                     COALESCE(SUM(guests + 1) FILTER (WHERE shift_id = %(shift)s), 0) AS shift_places
              FROM {Signup._meta.db_table}
              WHERE event_id = e.id AND status = ANY(%(holding)s) AND id IS DISTINCT FROM %(exclude)s) held
WHERE e.id = %(event)s"""


def _has_room(event: Event, shift: Shift | None, places: int, exclude=None) -> bool:
    """Whether `places` more fit the event's and the shift's capacity (one query). Call with the event locked."""
    with connection.cursor() as cursor:
        cursor.execute(_ROOM_SQL, _room_params(event, shift, places, exclude))
        return cursor.fetchone()[0]


def _room_params(event, shift, places, exclude=None) -> dict:
    return {"event": event.pk, "shift": shift.pk if shift is not None else None, "places": places,
            "holding": HOLDING, "exclude": exclude.pk if exclude is not None else None}


_SIGNUP_FIELDS = Signup._meta.concrete_fields
# A new signup and its first history row in one statement; _ROOM_SQL decides its status
_INSERT_SQL = rawsql.Prepared("signup_insert", (
    f"WITH room AS ({_ROOM_SQL}), signup AS (INSERT INTO {Signup._meta.db_table} "
    f"({', '.join(f.column for f in _SIGNUP_FIELDS)}) SELECT "
    + ", ".join("CASE WHEN room.fits THEN %(fits)s ELSE %(full)s END" if f.attname == "status"
                else f"%({f.attname})s" for f in _SIGNUP_FIELDS)
    + f" FROM room RETURNING id, status) INSERT INTO {SignupStatusChange._meta.db_table} "
    "(signup_id, from_status, to_status, actor, reason, created_at) "
    "SELECT id, '', status, %(history_actor)s, %(history_reason)s, %(modified_at)s FROM signup RETURNING to_status"))


def _insert(signup: Signup, fits: str, full: str, actor, reason: str, audience) -> Signup:
    """Save the new `signup` with status `fits` if its places fit (_ROOM_SQL), else `full`, with its history row;
    then its webhooks, as _history does for later changes. Call with the event locked."""
    params = {f.attname: f.get_db_prep_save(getattr(signup, f.attname), connection) for f in _SIGNUP_FIELDS}
    params.update(_room_params(signup.event, signup.shift, signup.places), fits=fits, full=full,
                  history_actor=actor_label(actor) if actor is not None else "", history_reason=reason)
    with connection.cursor() as cursor:
        _INSERT_SQL.execute(cursor, params)
        signup.status = cursor.fetchone()[0]
    signup._state.adding, signup._state.db = False, DEFAULT_DB_ALIAS
    notify_signup(signup, created=True, audience=audience)
    return signup


_CANDIDATES_SQL = rawsql.Prepared("signup_candidates", f"""
SELECT {rawsql.columns(Signup, "g")}, {rawsql.columns(Event, "e")}, {rawsql.columns(Shift, "s")}
FROM {Signup._meta.db_table} g JOIN {Event._meta.db_table} e ON e.id = g.event_id
     LEFT JOIN {Shift._meta.db_table} s ON s.id = g.shift_id
WHERE g.contact_id = %(contact)s AND (g.event_id = %(event)s OR g.status = ANY(%(active)s))
ORDER BY g.created_at""")


def _candidates(contact: Contact, event: Event):
    """The person's signups that matter to a new signup for `event`: its own (any status) and the active ones,
    with their events and shifts (plain SQL: it runs on every signup)."""
    with connection.cursor() as cursor:
        _CANDIDATES_SQL.execute(cursor, {"contact": contact.pk, "event": event.pk, "active": ACTIVE})
        rows = cursor.fetchall()
    signups = []
    for row in rows:
        signup, signup.event, signup.shift = rawsql.instances(row, Signup, Event, Shift)
        signups.append(signup)
    return signups


_LOCK_EVENT_SQL = rawsql.Prepared("event_lock", f"SELECT {rawsql.columns(Event, 'e')} FROM {Event._meta.db_table} e "
                                                "WHERE e.id = %(event)s FOR UPDATE")


def _lock_event(event_id) -> Event:
    """The event row, locked until the transaction ends, as it is once locked."""
    with connection.cursor() as cursor:
        _LOCK_EVENT_SQL.execute(cursor, {"event": event_id})
        return rawsql.instance(Event, cursor.fetchone())


def _clash(contact: Contact, event: Event, shift: Shift | None, exclude=None, signups=None) -> Signup | None:
    """Another active signup of the person (not on a cancelled event) whose time overlaps this one."""
    starts_at, ends_at = (shift or event).starts_at, (shift or event).ends_at
    for other in _candidates(contact, event) if signups is None else signups:
        window = other.shift or other.event
        if (other.status in ACTIVE and other.event.status != EventStatus.CANCELLED and
                (exclude is None or other.pk != exclude.pk) and window.starts_at < ends_at and window.ends_at > starts_at):
            return other
    return None


def _clash_error(other: Signup) -> Conflict:
    window = other.shift or other.event
    what = f"the {other.shift.role or 'shift'} shift of {other.event.title}" if other.shift else other.event.title
    return Conflict("overlapping_shift", f"This person already holds {what} "
                    f"({window.starts_at.isoformat()} to {window.ends_at.isoformat()}), which overlaps.",
                    extra={"clash": {"signup": str(other.pk), "event": str(other.event_id),
                                     "shift": str(other.shift_id) if other.shift_id else None}})


def _history(signup, from_status, to_status, actor=None, reason="", audience=None):
    """Every status change of a signup ends here (but a new signup's first, written with it by _insert): its
    history row, and the partners' webhooks (to `audience` if the caller read it: events.webhooks)."""
    SignupStatusChange.objects.create(signup=signup, from_status=from_status or "", to_status=to_status,
                                      actor=actor_label(actor) if actor is not None else "", reason=reason)
    notify_signup(signup, created=not from_status, audience=audience)


def _check_open(event: Event, *, walk_in=False):
    if event.status != EventStatus.PUBLISHED:
        raise Conflict("event_not_open", f"This event is {event.status}; it takes no signups.")
    if walk_in:
        return
    now = timezone.now()
    if event.registration_deadline and now > event.registration_deadline:
        raise Conflict("registration_closed", "The registration deadline has passed.")
    if now >= event.ends_at:
        raise Conflict("registration_closed", "This event is over.")


def signup_create(*, event: Event, organization, contact: Contact | None = None, person: dict | None = None,
                  shift: Shift | None = None, source: str = SignupSource.API, guests: int = 0,
                  referrer: dict | None = None, actor=None, override_overlap: bool = False,
                  walk_in: bool = False, notify: bool = True) -> SignupResult:
    """Register a person for an event (and shift). The same person and shift again returns the existing signup.
    Full -> waitlisted. `organization` is who recruited the person. `notify=False` (demo data, imports of past
    signups) sends no confirmation and schedules no reminders."""
    if shift is not None and shift.event_id != event.pk:
        raise DomainError("invalid_shift", "That shift belongs to another event.", field="shift")
    if shift is None and event.shifts.exists() and not walk_in:
        raise DomainError("shift_required", "This event has shifts: choose one.", field="shift")
    _check_open(event, walk_in=walk_in)  # early, so a closed event creates no contact (checked again locked)
    if contact is None:
        # its own transaction (batch_upsert's): contact writes serialise on the coalition's change-feed lock,
        # which must not be held while this signup waits for the event row
        contact = contact_upsert(organization=organization, person=person,
                                 source="walk_in" if walk_in else f"event_{source}", actor=actor).contact
    with transaction.atomic():
        contact = resolve(contact)
        # the person first (one signup or overlap check per person at a time), then the event's places
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {Contact._meta.db_table} WHERE id = %s FOR UPDATE", [contact.pk])
        signups = _candidates(contact, event)
        existing = next((x for x in signups if x.event_id == event.pk and x.shift_id == (shift.pk if shift else None)),
                        None)
        if existing is not None and existing.status != SignupStatus.CANCELLED:
            return SignupResult(existing, False)
        if not override_overlap:
            other = _clash(contact, event, shift, exclude=existing, signups=signups)
            if other is not None:
                raise _clash_error(other)
        audience = signup_audience(organization.coalition_id, created=existing is None)  # before the lock
        event = _lock_event(event.pk)  # shift capacities are read as of the lock too (_ROOM_SQL)
        _check_open(event, walk_in=walk_in)
        referrer = referrer or {}
        fields = {"recruited_by": organization, "source": SignupSource.WALK_IN if walk_in else source,
                  "guests": guests, "referrer_url": referrer.get("url", ""),
                  **{f"utm_{k}": referrer.get(f"utm_{k}", "") for k in ("source", "medium", "campaign", "term",
                                                                        "content")},
                  "modified_at": timezone.now()}
        if walk_in:
            fields["checked_in_at"] = timezone.now()
        # walk-ins are let in even when the event is full; others are registered if they fit, else waitlisted
        fits, full = ((SignupStatus.ATTENDED,) * 2 if walk_in else (SignupStatus.REGISTERED, SignupStatus.WAITLISTED))
        if existing is not None:  # a cancelled signup comes back to life instead of a duplicate row
            previous = existing.status
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.status = fits if walk_in or _has_room(event, shift, 1 + guests, exclude=existing) else full
            existing.save()
            signup = existing
            _history(signup, previous, signup.status, actor, "signed up again", audience)
        else:
            signup = _insert(Signup(event=event, shift=shift, contact=contact, **fields), fits, full, actor,
                             "walk-in" if walk_in else "signed up", audience)
        status = signup.status
        if walk_in and not event.check_in_started_at:
            Event.objects.filter(pk=event.pk).update(check_in_started_at=timezone.now())
            event.check_in_started_at = timezone.now()
            schedule.no_shows(event)
        if notify and not walk_in:
            schedule.signed_up(signup, "waitlisted" if status == SignupStatus.WAITLISTED else "confirmation")
    return SignupResult(signup, True)


@transaction.atomic
def signup_set_status(*, signup: Signup, status: str, actor=None, reason: str = "",
                      override_overlap: bool = False) -> Signup:
    event = Event.objects.select_for_update().get(pk=signup.event_id)
    signup = Signup.objects.select_related("shift").get(pk=signup.pk)
    previous = signup.status
    if status == previous:
        return signup
    if status not in TRANSITIONS.get(previous, set()):
        raise Conflict("invalid_status_change", f"A signup cannot go from {previous} to {status}.", field="status")
    takes_place = status in HOLDING and previous not in HOLDING
    if takes_place and status != SignupStatus.ATTENDED:
        if previous == SignupStatus.CANCELLED:  # signing up again follows the rules of a new signup
            _check_open(event)
        if not _has_room(event, signup.shift, signup.places, exclude=signup):
            if previous == SignupStatus.CANCELLED:
                status = SignupStatus.WAITLISTED
            else:
                raise Conflict("event_full", "There is no place left for this signup.", field="status")
        if previous in (SignupStatus.CANCELLED,) and not override_overlap:
            other = _clash(signup.contact, event, signup.shift, exclude=signup)
            if other is not None:
                raise _clash_error(other)
    signup.status = status
    signup.modified_at = timezone.now()
    if status == SignupStatus.ATTENDED and not signup.checked_in_at:
        signup.checked_in_at = timezone.now()
    signup.save(update_fields=["status", "modified_at", "checked_in_at"])
    _history(signup, previous, status, actor, reason)
    if previous in HOLDING and status not in HOLDING:
        _promote(event, actor)
    if status == SignupStatus.CANCELLED:
        schedule.notify(signup, "signup_cancelled", token=len(signup.history.all()))
    elif status == SignupStatus.REGISTERED and previous == SignupStatus.WAITLISTED:
        schedule.notify(signup, "promoted", token=len(signup.history.all()))
        schedule.reminders(signup)
    elif status == SignupStatus.REGISTERED:
        schedule.reminders(signup)
    return signup


def _promote(event: Event, actor=None) -> list[Signup]:
    """With the event row locked: move the first waitlisted signups that now fit to registered, and tell them."""
    promoted = []
    if event.status != EventStatus.PUBLISHED:
        return promoted
    for signup in event.signups.filter(status=SignupStatus.WAITLISTED).select_related("shift").order_by("created_at"):
        if not _has_room(event, signup.shift, signup.places):
            continue
        signup.status, signup.modified_at = SignupStatus.REGISTERED, timezone.now()
        signup.save(update_fields=["status", "modified_at"])
        _history(signup, SignupStatus.WAITLISTED, SignupStatus.REGISTERED, actor, "promoted from the waitlist")
        schedule.notify(signup, "promoted", token=signup.history.count())
        schedule.reminders(signup)
        promoted.append(signup)
    return promoted


# ---- check-in and attendance -------------------------------------------------------------------------------

def check_in(*, event: Event, organization, signup: Signup | None = None, contact: Contact | None = None,
             person: dict | None = None, shift: Shift | None = None, actor=None) -> SignupResult:
    """Check a person in: by signup, by contact (their signup, or a walk-in signup), or a walk-in person
    (matched or created through contact_upsert). Walk-ins are let in even when the event is full."""
    if event.status == EventStatus.CANCELLED:
        raise Conflict("event_not_open", "This event is cancelled.")
    if signup is None and (contact is not None or person is not None):
        if contact is None:
            with transaction.atomic():
                contact = contact_upsert(organization=organization, person=person, source="walk_in",
                                         actor=actor).contact
        contact = resolve(contact)
        candidates = Signup.objects.filter(event=event, contact=contact).exclude(status=SignupStatus.CANCELLED)
        if shift is not None:
            candidates = candidates.filter(shift=shift)
        signup = candidates.order_by("shift__starts_at").first()
        if signup is None:
            return signup_create(event=event, organization=organization, contact=contact, shift=shift,
                                 source=SignupSource.WALK_IN, actor=actor, walk_in=True, override_overlap=True)
    if signup is None:
        raise DomainError("nothing_to_check_in", "Give a signup, a contact or a person.")
    if signup.event_id != event.pk:
        raise DomainError("invalid_signup", "That signup belongs to another event.", field="signup")
    if signup.status == SignupStatus.ATTENDED:
        return SignupResult(signup, False)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if signup.status in (SignupStatus.CANCELLED, SignupStatus.WAITLISTED):
            # at the door a waitlisted or cancelled person who shows up is let in
            previous = signup.status
            signup.status, signup.checked_in_at, signup.modified_at = (SignupStatus.ATTENDED, timezone.now(),
                                                                       timezone.now())
            signup.save(update_fields=["status", "checked_in_at", "modified_at"])
            _history(signup, previous, SignupStatus.ATTENDED, actor, "checked in at the door")
        else:
            signup = signup_set_status(signup=signup, status=SignupStatus.ATTENDED, actor=actor, reason="checked in")
        if not locked.check_in_started_at:
            Event.objects.filter(pk=event.pk).update(check_in_started_at=timezone.now())
            locked.check_in_started_at = timezone.now()
            schedule.no_shows(locked)
    return SignupResult(signup, True)


def mark_no_shows(*, event_id, now=None) -> int:
    """After an event that used check-in has ended: registered or confirmed people not checked in -> no_show."""
    now = now or timezone.now()
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None or not event.check_in_started_at or event.ends_at > now or event.status == EventStatus.CANCELLED:
            return 0
        marked = 0
        for signup in event.signups.filter(status__in=[SignupStatus.REGISTERED, SignupStatus.CONFIRMED]):
            previous = signup.status
            signup.status, signup.modified_at = SignupStatus.NO_SHOW, now
            signup.save(update_fields=["status", "modified_at"])
            _history(signup, previous, SignupStatus.NO_SHOW, None, "not checked in by the end")
            marked += 1
        Event.objects.filter(pk=event.pk).update(no_shows_marked_at=now)
    return marked


def reliability(contact: Contact) -> dict:
    """Across the coalition: attended / committed, where committed = signups whose outcome is known
    (attended or no_show). None when nothing is known yet."""
    survivor = resolve(contact)
    # signups a merge could not move (a twin on the same shift) stay on the merged contact: count them too
    counts = Signup.objects.filter(Q(contact=survivor) | Q(contact__merged_into=survivor)).aggregate(
        attended=Count("pk", filter=Q(status=SignupStatus.ATTENDED)),
        no_show=Count("pk", filter=Q(status=SignupStatus.NO_SHOW)))
    committed = counts["attended"] + counts["no_show"]
    return {"contact": str(contact.pk), "attended": counts["attended"], "committed": committed,
            "reliability": round(counts["attended"] / committed, 3) if committed else None}


def attendance_report(event: Event) -> dict:
    signups = Signup.objects.filter(event=event)
    by_status = {s: 0 for s in SignupStatus.values}
    for row in signups.values("status").annotate(n=Count("pk")):
        by_status[row["status"]] = row["n"]
    by_shift = []
    for shift in event.shifts.all():
        counts = {s: 0 for s in SignupStatus.values}
        for row in signups.filter(shift=shift).values("status").annotate(n=Count("pk")):
            counts[row["status"]] = row["n"]
        by_shift.append({"shift": str(shift.pk), "role": shift.role, "capacity": shift.capacity,
                         "places_taken": _places(signups.filter(shift=shift)), "by_status": counts})
    by_org = {}
    for row in signups.values("recruited_by__slug", "status").annotate(n=Count("pk")):
        entry = by_org.setdefault(row["recruited_by__slug"], {s: 0 for s in SignupStatus.values})
        entry[row["status"]] = row["n"]
    return {"event": str(event.pk), "capacity": event.capacity, "places_taken": _places(signups),
            "total": sum(by_status.values()), "by_status": by_status, "by_shift": by_shift,
            "by_recruiting_organization": [{"organization": slug, "by_status": counts}
                                           for slug, counts in sorted(by_org.items())]}


def shift_counts(shift: Shift) -> dict:
    taken = _places(shift.signups)
    return {"registered_count": taken, "is_full": shift.capacity is not None and taken >= shift.capacity}


def event_delete(*, event: Event, actor=None) -> None:
    if event.signups.exists():
        raise Conflict("event_has_signups", "This event has signups: cancel it instead (people will be told).")
    audit_record(organization=event.host, actor=actor, verb="event.deleted", obj=event)
    event.delete()
