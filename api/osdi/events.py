"""OSDI events and attendances over the events app: events read through Event.objects.visible_to and rendered
from events.serializers.event_view (its masking of registrant-only addresses and links), attendances are the
signups the caller may see in full (events.sharing), and the record-attendance helper is
events.services.signup_create (capacity, waitlist, overlap and deadline rules included)."""
import uuid
from datetime import datetime

from rest_framework.response import Response

from contacts.services import contact_for_write
from events.models import Event, Shift, Signup, SignupSource, SignupStatus
from events.serializers import event_view
from events.services import signup_create
from events.views import events_for_display
from organizations.errors import DomainError

from . import filters
from .pagination import paginate
from .serializers import href, identifiers, osdi_date, person_input, tag_names
from .services import id_from_href
from .views import OsdiView, as_uuid, not_found, osdi_schema, person_href

EVENT_STATUS = {"draft": "tentative", "published": "confirmed", "cancelled": "cancelled", "completed": "confirmed"}
#: signup status -> OSDI attendance status (the coalition's own status is kept in `coalition_status`)
ATTENDANCE_STATUS = {SignupStatus.REGISTERED: "accepted", SignupStatus.CONFIRMED: "accepted",
                     SignupStatus.ATTENDED: "accepted", SignupStatus.NO_SHOW: "accepted",
                     SignupStatus.WAITLISTED: "tentative", SignupStatus.CANCELLED: "declined"}


def _utc(value: str | None) -> str | None:
    return osdi_date(datetime.fromisoformat(value)) if value else None


def event_record(request, event, organization) -> dict:
    view = event_view(event, organization)
    record = {
        "identifiers": identifiers(event.pk),
        "created_date": osdi_date(event.created_at),
        "modified_date": osdi_date(event.modified_at),
        "title": view["title"], "name": view["title"], "description": view["description"],
        "start_date": _utc(view["starts_at"]), "end_date": _utc(view["ends_at"]),
        "status": EVENT_STATUS.get(view["status"], "tentative"),
        "visibility": "public" if view["visibility"] == "public" else "private",
        "type": "open", "capacity": view["capacity"], "time_zone": view["timezone"],
        "event_kind": view["kind"], "host": view["host"],
        "shifts": [{"id": str(s["id"]), "role": s["role"], "start_date": _utc(s["starts_at"]),
                    "end_date": _utc(s["ends_at"]), "capacity": s["capacity"], "is_full": s["is_full"]}
                   for s in view["shifts"]],
        "_links": {"self": {"href": href(request, f"events/{event.pk}")},
                   "osdi:attendances": {"href": href(request, f"events/{event.pk}/attendances")},
                   "osdi:record_attendance_helper": {"href": href(request, f"events/{event.pk}/attendances")}},
    }
    location = view["location"]
    if location is not None:
        record["location"] = {"venue": location["venue"],
                              "address_lines": [location["line1"]] if location["line1"] else [],
                              "locality": location["city"], "region": location["state"],
                              "postal_code": location["postal_code"], "country": "US"}
        if location["latitude"] is not None:
            record["location"]["location"] = {"latitude": location["latitude"],
                                              "longitude": location["longitude"]}
    if view["virtual_url"]:
        record["virtual_url"] = view["virtual_url"]
    return record


def attendance_record(request, signup) -> dict:
    return {
        "identifiers": identifiers(signup.pk),
        "created_date": osdi_date(signup.created_at),
        "modified_date": osdi_date(signup.modified_at),
        "status": ATTENDANCE_STATUS.get(signup.status, "tentative"),
        "attended": signup.status == SignupStatus.ATTENDED,
        "coalition_status": signup.status,
        "recruited_by": signup.recruited_by.slug,
        "_links": {"self": {"href": href(request, f"events/{signup.event_id}/attendances/{signup.pk}")},
                   "osdi:event": {"href": href(request, f"events/{signup.event_id}")},
                   "osdi:person": {"href": href(request, f"people/{signup.contact_id}")}},
    }


class EventsBase(OsdiView):
    scope_family = "events"

    def events(self):
        return Event.objects.visible_to(self.organization)

    def event(self, pk) -> Event:
        event = events_for_display(self.events()).filter(pk=as_uuid(pk)).first()
        if event is None:
            raise not_found()
        return event

    def render_events(self, rows):
        ids = [e.pk for e in rows]
        loaded = {e.pk: e for e in events_for_display(Event.objects.filter(pk__in=ids))}
        return [event_record(self.request, loaded[pk], self.organization) for pk in ids]

    def attendances(self):
        return Signup.objects.visible_to(self.organization).filter(event__in=self.events()).select_related(
            "recruited_by").order_by("created_at", "id")

    def render_attendances(self, rows):
        return [attendance_record(self.request, s) for s in rows]


class EventsView(EventsBase):
    @osdi_schema("events_list", "List events (filters: modified_date, created_date, start_date)", listing=True)
    def get(self, request):
        queryset = filters.filter_events(request, self.events()).order_by("created_at", "id")
        return Response(paginate(request, queryset, kind="events", render=self.render_events))


class EventView(EventsBase):
    @osdi_schema("event_get", "One event")
    def get(self, request, pk):
        return Response(self.render_events([self.event(pk)])[0])


class EventAttendancesView(EventsBase):
    @osdi_schema("event_attendances", "An event's attendances the caller may see in full", listing=True)
    def get(self, request, pk):
        queryset = filters.filter_dates(request, self.attendances().filter(event=self.event(pk)))
        return Response(paginate(request, queryset, kind="attendances", render=self.render_attendances))

    @osdi_schema("record_attendance", "Record attendance helper: `_links.osdi:person` or a `person` body",
                 body=True)
    def post(self, request, pk):
        """{"person": {...}, "add_tags": [...]} (matched or created) or {"_links": {"osdi:person": {"href"}}};
        optional extension `shift` (an id) for events with shifts."""
        event = self.event(pk)
        body = self.body()
        shift = None
        if body.get("shift") is not None:
            shift = Shift.objects.filter(event=event, pk=as_uuid_or_400(body["shift"], "shift")).first()
            if shift is None:
                raise DomainError("validation_error", "shift: no such shift in this event.", field="shift")
        if "person" in body:
            add = tag_names(body.get("add_tags", []), "add_tags")
            person, contact = person_input(body["person"], prefix="person.", add_tags=add), None
        else:
            person, contact = None, contact_for_write(self.organization, id_from_href(person_href(body)))
        result = signup_create(event=event, organization=self.organization, contact=contact, person=person,
                               shift=shift, source=SignupSource.API, actor=self.actor)
        signup = Signup.objects.select_related("recruited_by").get(pk=result.signup.pk)
        return Response(attendance_record(request, signup), status=201 if result.created else 200)


class AttendanceView(EventsBase):
    @osdi_schema("attendance_get", "One attendance")
    def get(self, request, pk, attendance_pk):
        signup = self.attendances().filter(event=self.event(pk), pk=as_uuid(attendance_pk)).first()
        if signup is None:
            raise not_found()
        return Response(attendance_record(request, signup))


class PersonAttendancesView(EventsBase):
    @osdi_schema("person_attendances", "A person's attendances the caller may see", listing=True)
    def get(self, request, pk):
        contact = self.person(pk)
        queryset = filters.filter_dates(request, self.attendances().filter(contact=contact))
        return Response(paginate(request, queryset, kind="attendances", render=self.render_attendances))


def as_uuid_or_400(value, field: str):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DomainError("validation_error", f"{field}: not a valid id.", field=field) from None


def urls():
    from django.urls import re_path
    return [
        re_path(r"^events/?$", EventsView.as_view(), name="events"),
        re_path(r"^events/(?P<pk>[^/]+)/?$", EventView.as_view(), name="event"),
        re_path(r"^events/(?P<pk>[^/]+)/attendances/?$", EventAttendancesView.as_view(), name="attendances"),
        re_path(r"^events/(?P<pk>[^/]+)/attendances/(?P<attendance_pk>[^/]+)/?$", AttendanceView.as_view(),
                name="attendance"),
        re_path(r"^people/(?P<pk>[^/]+)/attendances/?$", PersonAttendancesView.as_view(),
                name="person-attendances"),
    ]
