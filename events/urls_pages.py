from django.urls import path

from . import pages

urlpatterns = [
    path("events/<uuid:event_id>/check-in/", pages.check_in_page, name="event-check-in-page"),
]
