from django.core.management.base import BaseCommand

from webforms.services import outbox_sweep


class Command(BaseCommand):
    help = ("Queue the form messages still pending (their submission was stored while Redis was down). Run it "
            "every minute from cron or a systemd timer; it is safe to run any time.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=60, help="seconds a message must have waited")

    def handle(self, *args, older_than=60, **options):
        queued = outbox_sweep(older_than_seconds=older_than)
        self.stdout.write(f"queued {queued} pending form messages")
