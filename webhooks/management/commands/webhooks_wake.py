from django.core.management.base import BaseCommand

from contacts.notify import notify_due
from webhooks.services import wake_due


class Command(BaseCommand):
    help = ("Queue a drain for every active endpoint with due deliveries, and the contact notifier of every "
            "coalition with changes not yet turned into webhooks (after a Redis outage lost the wake-up). "
            "Safe to run any time, e.g. from cron every few minutes.")

    def handle(self, *args, **options):
        self.stdout.write(f"{wake_due()} endpoints woken, {notify_due()} coalitions' contact webhooks queued")
