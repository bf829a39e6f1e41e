from django.urls import path

from . import public

urlpatterns = [
    path("", public.event_list, name="public-events"),
    path("calendar.ics", public.organization_ics, name="public-events-ics"),
    path("<uuid:event_id>/", public.event_detail, name="public-event"),
    path("<uuid:event_id>/calendar.ics", public.event_ics, name="public-event-ics"),
]
