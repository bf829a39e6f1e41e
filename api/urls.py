from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from contacts import api as contacts_api
from webhooks import api as webhooks_api
from testimony.api import views as testimony_views
from events import views as event_views
from turfs import api as turfs_api
from webforms.api import FormViewSet

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("jobs", views.JobViewSet, basename="job")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")
router.register("contacts", contacts_api.ContactViewSet, basename="contact")
router.register("tags", contacts_api.TagViewSet, basename="tag")
router.register("possible-duplicates", contacts_api.PossibleDuplicateViewSet, basename="possible-duplicate")
router.register("merges", contacts_api.ContactMergeViewSet, basename="contact-merge")
router.register("webhooks", webhooks_api.WebhookViewSet, basename="webhook")
router.register("webhook-deliveries", webhooks_api.WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("hearings", testimony_views.HearingViewSet, basename="hearing")
router.register("testimonies", testimony_views.TestimonyViewSet, basename="testimony")
router.register("events", event_views.EventViewSet, basename="event")
router.register("shifts", event_views.ShiftViewSet, basename="shift")
router.register("signups", event_views.SignupViewSet, basename="signup")
router.register("turf-cuts", turfs_api.TurfCutViewSet, basename="turf-cut")
router.register("turfs", turfs_api.TurfViewSet, basename="turf")
router.register("call-lists", turfs_api.CallListViewSet, basename="call-list")
router.register("canvass-results", turfs_api.CanvassResultViewSet, basename="canvass-result")
router.register("forms", FormViewSet, basename="form")

v1 = [
    re_path(r"^me/?$", views.MeView.as_view(), name="me"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("osdi/v1/", include("api.osdi.urls")),  # OSDI facade (api/osdi), HAL+JSON
    path("public/events/", include("events.urls_public")),
    # The docs are public (they describe the API, not anyone's data) and served without any CDN.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[AllowAny]), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", permission_classes=[AllowAny]), name="redoc"),
]
