from django.core.management.base import BaseCommand
from django.utils import timezone

from testimony.jobs import reminders_schedule
from testimony.models import Hearing


class Command(BaseCommand):
    help = ("Plan the deadline reminders of every upcoming hearing on rq's scheduler again (after a Redis loss, "
            "or from cron as a safety net). Harmless to repeat: a reminder is never sent twice.")

    def handle(self, *args, **options):
        hearings = Hearing.objects.exclude(status=Hearing.Status.CANCELLED).filter(
            registration_deadline__gt=timezone.now()) | Hearing.objects.exclude(
            status=Hearing.Status.CANCELLED).filter(written_deadline__gt=timezone.now())
        planned = sum(len(reminders_schedule(h.pk)) for h in hearings.distinct())
        self.stdout.write(f"{planned} reminder runs planned for {hearings.distinct().count()} hearings")
