"""Public, unauthenticated event listings and iCalendar feeds (for members' websites and people's calendars).

Only published public events hosted or co-hosted by the named organization; no private field ever leaves here
(events.serializers.event_view with no organization drops co-host sharing, the virtual link, shift instructions
and a registrants-only street address).
"""
from datetime import datetime, timezone as dt_timezone
from zoneinfo import ZoneInfo

import nh3
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from api.errors import error_body
from organizations.models import Organization

from .models import Event, EventStatus, Visibility
from .notices import where
from .serializers import event_view
from .views import events_for_display

PRODID = "-//Education Justice Now Coalition//Events//EN"


def _organization(request):
    slug = request.GET.get("org", "").strip()
    if not slug:
        return None, JsonResponse(error_body("validation_error", "org: give the organization's slug.",
                                             {"org": ["This parameter is required."]}), status=400)
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        return None, JsonResponse(error_body("not_found", f"No organization {slug!r}."), status=404)
    return organization, None


def _public_event(event_id):
    try:
        return events_for_display(Event.objects.filter(
            pk=event_id, visibility=Visibility.PUBLIC,
            status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED])).first()
    except Exception:  # not a UUID
        return None


def event_list(request):
    organization, error = _organization(request)
    if error:
        return error
    events = events_for_display(Event.objects.public_for(organization)).order_by("starts_at")
    if request.GET.get("upcoming", "1") != "0":
        events = events.filter(ends_at__gte=timezone.now())
    return JsonResponse({"results": [event_view(e) for e in events[:500]]})


def event_detail(request, event_id):
    event = _public_event(event_id)
    if event is None or event.status != EventStatus.PUBLISHED:
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return JsonResponse(event_view(event))


def _vevent(event: Event, request) -> CalendarEvent:
    tz = ZoneInfo(event.timezone)
    item = CalendarEvent()
    item.add("uid", f"{event.pk}@{request.get_host().split(':')[0]}")
    item.add("dtstamp", datetime.now(dt_timezone.utc))
    item.add("dtstart", event.starts_at.astimezone(tz))
    item.add("dtend", event.ends_at.astimezone(tz))
    item.add("summary", event.title)
    text = nh3.clean(event.description or "", tags=set()).strip()
    if event.accessibility_notes:
        text += f"\n\nAccessibility: {event.accessibility_notes}"
    if text:
        item.add("description", text)
    if not event.is_virtual:
        public = event if not event.address_registrants_only else None
        item.add("location", where(public) if public else ", ".join(
            p for p in (event.venue, event.city, event.state) if p))
        if public and event.latitude is not None and event.longitude is not None:
            item.add("geo", (event.latitude, event.longitude))
    item.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    item.add("sequence", event.revision)
    item.add("last-modified", event.modified_at)
    item.add("organizer", f"https://{request.get_host()}", parameters={"cn": event.host.name})
    return item


def _calendar(events, request, name) -> HttpResponse:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_vevent(event, request))
    calendar.add_missing_timezones()
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="events.ics"'
    return response


def event_ics(request, event_id):
    event = _public_event(event_id)
    if event is None:
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return _calendar([event], request, event.title)


def organization_ics(request):
    organization, error = _organization(request)
    if error:
        return error
    events = Event.objects.filter(pk__in=Event.objects.public_for(organization).values("pk")) | \
        Event.objects.filter(host=organization, visibility=Visibility.PUBLIC, status=EventStatus.CANCELLED)
    events = events_for_display(events).order_by("starts_at")
    return _calendar(events[:1000], request, f"{organization.name} events")
