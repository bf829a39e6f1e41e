"""rq jobs of testimony (thin wrappers around services and exports)."""
from datetime import timezone as dt_timezone

from django.utils import timezone

from jobs import queues
from jobs.registry import job_kind

from . import exports
from .deadlines import reminder_times
from .models import Hearing
from .services import reminders_send


@job_kind("testimony.roster")
def roster(job, progress) -> dict:
    return exports.roster_csv(job, progress)


@job_kind("testimony.packet")
def packet(job, progress) -> dict:
    return exports.packet_pdf(job, progress)


def reminders_run(hearing_id: str) -> dict:
    """The rq entry point of reminders (scheduled by reminders_schedule). Running it again, or late, sends
    nothing twice: messaging dedupes on the key each reminder carries."""
    hearing = Hearing.objects.filter(pk=hearing_id).first()
    return reminders_send(hearing=hearing) if hearing else {"sent": 0}


def reminders_schedule(hearing_id) -> list:
    """Plan the hearing's reminders on rq's scheduler (`rqworker --with-scheduler`, as `make run` starts it):
    one run at each reminder time still ahead, and one now if a reminder is already due. Planning twice is
    harmless: a run sends only what is due and not yet sent."""
    hearing = Hearing.objects.filter(pk=hearing_id).first()
    if hearing is None or hearing.status == Hearing.Status.CANCELLED:
        return []
    queue = queues.queue()
    now = timezone.now()
    planned, due_now = [], False
    for deadline in (hearing.registration_deadline, hearing.written_deadline):
        if deadline is None or deadline <= now:
            continue
        for at in reminder_times(deadline, hearing.timezone).values():
            if at <= now:
                due_now = True
            else:
                job_id = f"testimony-reminders-{hearing.pk}-{int(at.timestamp())}"
                queue.enqueue_at(at.astimezone(dt_timezone.utc), reminders_run, str(hearing.pk), job_id=job_id)
                planned.append(at)
    if due_now:
        queue.enqueue(reminders_run, str(hearing.pk))
        planned.append(now)
    return planned
