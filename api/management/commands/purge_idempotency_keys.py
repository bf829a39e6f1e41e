from django.core.management.base import BaseCommand

from api.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete Idempotency-Key records past their retention (IDEMPOTENCY_KEY_TTL_SECONDS). Run daily."

    def handle(self, *args, **options):
        self.stdout.write(f"{purge_expired()} expired idempotency records deleted")
