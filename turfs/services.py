"""Writes for turf: starting and running cuts, call lists, assignment, canvass results. Keyword-only."""
import gc
import io
import os
import time
import uuid

from django.db import connection, transaction
from django.utils import timezone

from contacts.models import Contact
from contacts.pgcopy import copy_insert
from events.models import Event, EventKind, EventStatus, Shift
from jobs.services import job_enqueue
from organizations.errors import DomainError
from organizations.services import audit_record

from . import cutting
from .models import CallList, CanvassResult, Turf, TurfCut, TurfStop
from .selectors import callable_people, places_for_cut, segment_contacts

TARGET_MIN, TARGET_MAX = 5, 500
CALL_LIST_MIN, CALL_LIST_MAX = 1, 1000
#: fault injection for the killed-worker test: seconds to sleep inside the write transaction
FAULT_PAUSE_ENV = "TURFS_FAULT_PAUSE_IN_WRITE"


def _nonempty_segment(organization, segment):
    contacts = segment_contacts(organization, segment)
    if not contacts.exists():
        raise DomainError("empty_segment", "the segment has no contacts your organization can see",
                          field="segment")
    return contacts


def _check_range(value, low, high, field):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError("out_of_range", f"{field} must be a whole number from {low} to {high}", field=field)


def visible_contact(organization, contact_id, field: str) -> Contact | None:
    if contact_id in (None, ""):
        return None
    contact = Contact.objects.visible_to(organization).filter(pk=contact_id).first()
    if contact is None:
        raise DomainError("unknown_contact", "no such contact", field=field)
    return contact


# ------------------------------------------------------------------------------------------------ cuts

@transaction.atomic
def turf_cut_start(*, organization, actor, segment: dict, target: int = 50, name: str = "",
                   keep_buildings_whole: bool = True, exclude_do_not_contact: bool = True,
                   survey: list | None = None) -> TurfCut:
    """Validate, record the cut and queue the job that cuts it (the caller answers 202 with the job)."""
    _check_range(target, TARGET_MIN, TARGET_MAX, "target")
    _nonempty_segment(organization, segment)
    cut = TurfCut.objects.create(organization=organization, name=name, segment=segment, target=target,
                                 keep_buildings_whole=keep_buildings_whole,
                                 exclude_do_not_contact=exclude_do_not_contact, survey=survey or [])
    cut.job = job_enqueue(organization=organization, kind="turfs.cut", params={"turf_cut": str(cut.pk)},
                          actor=actor)
    cut.save(update_fields=["job"])
    audit_record(organization=organization, actor=actor, verb="turf_cut.created", obj=cut,
                 details={"segment": segment, "target": target})
    return cut


def turf_cut_run(*, turf_cut_id, progress) -> dict:
    """The job: read the segment, cut, and write every turf and stop in one transaction at the end, so a worker
    killed on the way leaves nothing behind and the retried job starts clean. Cutting is deterministic, so a
    retry writes the same turfs."""
    cut = TurfCut.objects.select_related("organization").get(pk=turf_cut_id)
    if cut.cut_at:
        return _summary(cut)
    # hundreds of thousands of small objects and no reference cycles: the cyclic collector would only rescan
    # them again and again (a third of the job's time at 100,000 doors)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _cut_and_write(cut, progress)
    finally:
        if collecting:
            gc.enable()


def _cut_and_write(cut: TurfCut, progress) -> dict:
    progress(5, "reading the segment")
    clock = [time.perf_counter()]
    timings = {}

    def lap(name):
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 3)
        clock[0] = now

    contacts = segment_contacts(cut.organization, cut.segment)
    places, unplaced, excluded = places_for_cut(cut.organization, contacts, cut.exclude_do_not_contact)
    lap("read_s")
    progress(10, f"cutting {len(places)} people")
    result = cutting.cut(places, cut.target, cut.keep_buildings_whole,
                         progress=lambda pct, msg="": progress(10 + pct * 0.75, msg))
    lap("cut_s")
    progress(88, f"writing {len(result.turfs)} turfs")
    with transaction.atomic():
        cut = TurfCut.objects.select_for_update().get(pk=cut.pk)
        if cut.cut_at:  # an earlier attempt committed just before its worker died
            return _summary(cut)
        turfs = [Turf(
            organization_id=cut.organization_id, cut=cut, number=t.number, doors=t.doors, people=t.people,
            distance_m=round(t.distance_m, 1), remainder=t.remainder,
            latitude=sum(h.lat for h in t.stops) / t.doors, longitude=sum(h.lon for h in t.stops) / t.doors)
            for t in result.turfs]
        copy_insert(Turf, turfs)  # COPY: several times faster than bulk_create
        _copy_stops(turfs, result.turfs)
        pause = float(os.environ.get(FAULT_PAUSE_ENV) or 0)
        if pause:
            time.sleep(pause)
        lap("write_s")
        cut.stats = {**result.stats, "excluded_people": len(excluded), "excluded": excluded, "timings": timings,
                     "approximate": result.approximate, "unparsed": result.unparsed,
                     "unplaced_people": len(unplaced) + len(result.unplaced)}
        cut.unplaced = unplaced + [{"contact": u.ref, "reason": u.reason, "address": u.address}
                                   for u in result.unplaced]
        cut.cut_at = timezone.now()
        cut.save(update_fields=["stats", "unplaced", "cut_at"])
    progress(100, f"{len(result.turfs)} turfs of about {cut.target} doors")
    return _summary(cut)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
STOP_COLUMNS = ["turf_id", "position", "household_key", "label", "number", "street", "unit", "postal_code",
                "latitude", "longitude", "approximate", "contacts", "last_result"]


def _copy_stops(turfs, cut_turfs) -> None:
    """COPY every stop in one statement, rows built as text directly (100,000 model instances cost seconds)."""
    lines = []
    for turf, t in zip(turfs, cut_turfs):
        turf_id = str(turf.pk)
        for position, h in enumerate(t.stops, start=1):
            number = f"{h.number}{h.suffix}" if h.parsed else ""
            text = "\t".join(value.translate(_COPY_ESCAPES) for value in (
                h.door_key, h.label, number, h.street, h.unit, h.zip))
            lines.append(f"{turf_id}\t{position}\t{text}\t{h.lat!r}\t{h.lon!r}\t{'t' if h.approximate else 'f'}"
                         f"\t{{{','.join(h.refs)}}}\t\n")
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {TurfStop._meta.db_table} ({', '.join(STOP_COLUMNS)}) FROM STDIN",
                           io.StringIO("".join(lines)))


def _summary(cut: TurfCut) -> dict:
    return {"turf_cut": str(cut.pk), "turfs": cut.stats.get("turfs", 0), "doors": cut.stats.get("households", 0),
            "unplaced": len(cut.unplaced), "distance_m": cut.stats.get("distance_m", {}).get("total", 0)}


# ------------------------------------------------------------------------------------------------ call lists

@transaction.atomic
def call_lists_create(*, organization, actor, segment: dict, size: int = 50, name: str = "") -> list[CallList]:
    """People of the segment with a phone and a call opt-in, sorted for callers and split into lists of `size`."""
    _check_range(size, CALL_LIST_MIN, CALL_LIST_MAX, "size")
    contacts = _nonempty_segment(organization, segment)
    people = callable_people(organization, contacts)
    if not people:
        raise DomainError("no_callable_people", "no one in the segment has a phone and a call opt-in",
                          field="segment")
    batch = uuid.uuid4()
    lists = CallList.objects.bulk_create([
        CallList(organization=organization, batch=batch, name=name, number=i // size + 1, segment=segment,
                 entries=people[i:i + size]) for i in range(0, len(people), size)])
    audit_record(organization=organization, actor=actor, verb="call_lists.created", obj=lists[0],
                 details={"batch": str(batch), "lists": len(lists), "people": len(people)})
    return lists


# ------------------------------------------------------------------------------------------------ assignment

#: the event kind a shift must have to be walked or called in
SHIFT_KINDS = {"turf": EventKind.CANVASS, "calllist": EventKind.PHONE_BANK}
UNSET = object()


def visible_shift(organization, shift_id, kind: str, field: str = "shift") -> Shift | None:
    """A shift of an event the organization may see (the events app's own rule), of the kind the work needs;
    None unassigns."""
    if shift_id in (None, ""):
        return None
    shift = (Shift.objects.filter(pk=shift_id, event__in=Event.objects.visible_to(organization))
             .select_related("event").first())
    if shift is None:
        raise DomainError("unknown_shift", "no such shift on an event your organization can see", field=field)
    if shift.event.kind != kind:
        raise DomainError("wrong_event_kind", f"that shift belongs to a {shift.event.kind} event; this needs a "
                          f"{kind} event", field=field)
    if shift.event.status == EventStatus.CANCELLED:
        raise DomainError("event_cancelled", "that shift's event is cancelled", field=field)
    return shift


def assign_volunteer(*, obj, organization, actor, volunteer=UNSET, shift=UNSET) -> None:
    """Assign a turf or call list to a volunteer (a contact the organization can see) and/or to a shift (of a
    canvass event for a turf, of a phone bank for a call list, that the organization can see); None unassigns,
    an argument left out is left as it is. The volunteer need not be signed up for the shift (see README)."""
    fields = []
    if volunteer is not UNSET:
        obj.volunteer = visible_contact(organization, volunteer, "volunteer")
        fields.append("volunteer")
    if shift is not UNSET:
        obj.shift = visible_shift(organization, shift, SHIFT_KINDS[obj._meta.model_name])
        fields.append("shift")
    if not fields:
        raise DomainError("nothing_to_assign", "give a volunteer, a shift or both", field="volunteer")
    obj.save(update_fields=fields)
    audit_record(organization=organization, actor=actor, verb=f"{obj._meta.model_name}.assigned", obj=obj,
                 details={"volunteer": str(obj.volunteer_id) if obj.volunteer_id else None,
                          "shift": str(obj.shift_id) if obj.shift_id else None})


# ------------------------------------------------------------------------------------------------ results

@transaction.atomic
def turf_results_record(*, turf: Turf, organization, results: list[dict]) -> list[CanvassResult]:
    """Record door results. Each item names a stop (its id or its position in the walk) and, optionally, one
    person there; a result without a person applies to everyone at the door. A resend with the same
    `client_id` returns the first record. Updates the stops' last result and the turf's progress."""
    turf = Turf.objects.select_for_update().select_related("cut").get(pk=turf.pk)
    stops = list(TurfStop.objects.filter(turf=turf))
    by_id, by_position = {s.pk: s for s in stops}, {s.position: s for s in stops}
    survey_keys = {q["key"] for q in turf.cut.survey}
    recorded = []
    for index, item in enumerate(results):
        where = f"results[{index}]"
        stop = by_id.get(item.get("stop")) or by_position.get(item.get("position"))
        if stop is None:
            raise DomainError("unknown_stop", "no such stop on this turf", field=f"{where}.stop")
        people = stop.contacts
        if item.get("contact"):
            if item["contact"] not in {str(pk) for pk in stop.contacts}:
                raise DomainError("not_at_this_door", "that person is not listed at this door",
                                  field=f"{where}.contact")
            people = [item["contact"]]
        unknown = set(item.get("answers", {})) - survey_keys
        if unknown:
            raise DomainError("unknown_question", f"no survey question {sorted(unknown)[0]!r} on this cut",
                              field=f"{where}.answers")
        canvasser = visible_contact(organization, item.get("canvasser_contact"), f"{where}.canvasser_contact")
        for person in people:
            if item.get("client_id"):
                existing = CanvassResult.objects.filter(turf=turf, client_id=item["client_id"],
                                                        contact_id=person).first()
                if existing:
                    recorded.append(existing)
                    continue
            recorded.append(CanvassResult.objects.create(
                organization=organization, turf=turf, stop=stop, contact_id=person,
                household_key=stop.household_key, code=item["code"], support=item.get("support"),
                answers=item.get("answers", {}), notes=item.get("notes", ""), canvasser=item.get("canvasser", ""),
                canvasser_contact=canvasser, recorded_at=item.get("recorded_at") or timezone.now(),
                client_id=item.get("client_id", "")))
        stop.last_result = item["code"]
        stop.save(update_fields=["last_result"])
    turf.doors_done = TurfStop.objects.filter(turf=turf).exclude(last_result="").count()
    turf.save(update_fields=["doors_done"])
    return recorded
