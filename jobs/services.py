"""Creating and running Job rows. rq carries only the job's id; the state lives in PostgreSQL."""
import logging
import traceback

from django.db import transaction
from django.utils import timezone

from organizations.models import ApiKey

from . import queues
from .models import Job, JobStatus
from .registry import handler_for

log = logging.getLogger(__name__)


class JobFailed(Exception):
    """Raised by a handler to fail its job with a message meant for the user (no traceback kept)."""


def job_enqueue(*, organization, kind: str, params: dict | None = None, actor=None, queue: str = "default") -> Job:
    """Record a job and queue it once the surrounding transaction commits (so the worker finds the row)."""
    job = Job.objects.create(
        organization=organization, kind=kind, params=params or {}, queue=queue,
        created_by_key=actor if isinstance(actor, ApiKey) else None,
        created_by_user=actor if actor is not None and not isinstance(actor, ApiKey) else None,
    )
    transaction.on_commit(lambda: job_dispatch(job))
    return job


def job_dispatch(job: Job) -> None:
    """Put the job on its rq queue. rq's own id is the Job id, so a double dispatch is one rq job."""
    queues.queue(job.queue).enqueue("jobs.services.job_run", str(job.id), job_id=str(job.id),
                                            result_ttl=86400, failure_ttl=7 * 86400)


def job_progress(job: Job, percent: int, message: str = "") -> None:
    job.progress = max(0, min(100, int(percent)))
    job.message = message[:500]
    Job.objects.filter(pk=job.pk).update(progress=job.progress, message=job.message)


def job_run(job_id: str) -> None:
    """The rq entry point. A finished job is not run again, so rq retries and duplicate deliveries are harmless."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == JobStatus.FINISHED:
            return
        job.status, job.started_at, job.attempts, job.error = JobStatus.RUNNING, timezone.now(), job.attempts + 1, ""
        job.save(update_fields=["status", "started_at", "attempts", "error"])
    try:
        result = handler_for(job.kind)(job, lambda pct, msg="": job_progress(job, pct, msg)) or {}
    except JobFailed as exc:
        _finish(job, JobStatus.FAILED, error=str(exc), message=str(exc))
    except Exception as exc:
        log.exception("job %s (%s) failed", job.id, job.kind)
        _finish(job, JobStatus.FAILED, error=traceback.format_exc(), message=f"Failed: {exc}"[:500])
        raise
    else:
        _finish(job, JobStatus.FINISHED, result=result, progress=100, message=job.message or "Done")


def _finish(job: Job, status: str, **fields) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    job.status, job.finished_at = status, timezone.now()
    job.save(update_fields=["status", "finished_at", *fields])
    _emit_finished(job)


def job_webhook_payload(job: Job) -> dict:
    return {"job": {"id": str(job.id), "kind": job.kind, "status": job.status, "progress": job.progress,
                    "message": job.message, "result": job.result, "created_at": job.created_at.isoformat(),
                    "finished_at": job.finished_at.isoformat(), "modified_at": job.finished_at.isoformat()}}


def _emit_finished(job: Job) -> None:
    """`job.finished` to the job's organization's webhooks (finished or failed); never fails the job."""
    from webhooks.services import emit
    try:
        emit(event_type="job.finished", audience=job.organization, render=lambda org: job_webhook_payload(job))
    except Exception:
        log.exception("could not emit job.finished for %s", job.id)
