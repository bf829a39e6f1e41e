"""rq job kinds of the organizations app (thin wrappers over services)."""
from jobs.registry import job_kind

from .services import audit_export_csv


@job_kind("audit.export")
def audit_export(job, progress):
    return audit_export_csv(job, progress)
