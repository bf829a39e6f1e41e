"""rq job kinds of the contacts app (thin wrappers over contacts.imports)."""
from jobs.registry import job_kind

from .imports import export_job, import_job


@job_kind("contacts.import")
def contacts_import(job, progress):
    return import_job(job, progress)


@job_kind("contacts.export")
def contacts_export(job, progress):
    return export_job(job, progress)


def notify_partners(coalition_id: str) -> int:
    """The job (on the `high` queue) for contact webhooks (contacts.notify.queue_notify)."""
    from .notify import notify_pending
    return notify_pending(coalition_id)
