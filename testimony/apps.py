from django.apps import AppConfig


class TestimonyConfig(AppConfig):
    name = "testimony"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # a witness follows their contact through merges (and back on undo)
        from contacts import merging

        from .models import Testimony

        merging.register(Testimony, "contact")
