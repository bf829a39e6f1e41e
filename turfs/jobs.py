"""rq job kinds of the turfs app (thin wrappers over turfs.services)."""
from jobs.registry import job_kind

from .services import turf_cut_run


@job_kind("turfs.cut")
def cut_turf(job, progress) -> dict:
    return turf_cut_run(turf_cut_id=job.params["turf_cut"], progress=progress)
