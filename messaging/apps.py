from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self):
        from events.apps import register_with_contact_merges

        from .models import Message
        register_with_contact_merges((Message, "contact"))
