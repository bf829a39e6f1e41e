from importlib import import_module

from django.apps import AppConfig


def register_with_contact_merges(*relations) -> None:
    """Register FKs to Contact with contacts.merging (when that module exists), so merges move them."""
    try:
        merging = import_module("contacts.merging")
    except ModuleNotFoundError as exc:
        if exc.name != "contacts.merging":
            raise
        return
    for model, field in relations:
        merging.register(model, field)


class EventsConfig(AppConfig):
    name = "events"

    def ready(self):
        from .models import Signup
        register_with_contact_merges((Signup, "contact"))
