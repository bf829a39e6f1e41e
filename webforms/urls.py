"""Public, unauthenticated paths of the forms app (included from config/urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("embed.js", views.embed_js, name="webforms-embed-js"),
    path("embed/<slug:slug>/", views.embed_page, name="webforms-embed"),
    path("api/public/forms/<slug:slug>/", views.public_form, name="webforms-public"),
]
