from django.contrib import admin
from django.urls import include, path

from api.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("webforms.urls")),  # /embed.js, /embed/{slug}/, /api/public/forms/{slug}/
    path("api/", include("api.urls")),
    path("staff/", include("events.urls_pages")),
]

handler400 = "api.errors.json_400"
handler403 = "api.errors.json_403"
handler404 = "api.errors.json_404"
handler500 = "api.errors.json_500"
