from django.core.management.base import BaseCommand

from webhooks.services import wake_due


class Command(BaseCommand):
    help = ("Queue a drain for every active endpoint with due deliveries (after a Redis outage lost the wake-up). "
            "Safe to run any time, e.g. from cron every few minutes.")

    def handle(self, *args, **options):
        self.stdout.write(f"{wake_due()} endpoints woken")
