from django.apps import AppConfig


class TurfsConfig(AppConfig):
    name = "turfs"
    default_auto_field = "django.db.models.BigAutoField"
