from django.apps import AppConfig


class TestimonyConfig(AppConfig):
    name = "testimony"
    default_auto_field = "django.db.models.BigAutoField"
