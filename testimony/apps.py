from django.apps import AppConfig


class TestimonyConfig(AppConfig):
    name = "testimony"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # A witness follows their contact through merges (contacts.merging, issue 4). Until that registry is
        # merged into this branch's base there is nothing to register with.
        try:
            from contacts import merging
        except ImportError:
            return
        from .models import Testimony

        merging.register(Testimony, "contact")
