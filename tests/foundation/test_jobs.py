import csv
import io

import pytest

from jobs.models import Job
from organizations.models import AuditEvent
from organizations.services import audit_record
from tests.support import client_for, run_worker_burst


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_rqworker_process_runs_the_job_and_the_api_shows_it(org_a, org_b):
    for i in range(3):
        audit_record(organization=org_a, actor=None, verb=f"test.event{i}", details={"i": i})
    audit_record(organization=org_b, actor=None, verb="bravo.private")
    client = client_for(org_a)
    started = client.post("/api/v1/audit-events/export/")
    assert started.status_code == 202
    job_id = started.json()["id"]
    assert started.json()["status"] == "queued"

    run_worker_burst()

    job = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert job["status"] == "finished", job
    assert job["progress"] == 100
    assert job["result"]["rows"] == AuditEvent.objects.filter(organization=org_a).count() - 1  # minus the export's own
    download = client.get(job["result_url"].replace("http://testserver", ""))
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    verbs = {row["verb"] for row in rows}
    assert {"test.event0", "test.event2", "api_key.created"} <= verbs
    assert "bravo.private" not in verbs, "a job reads only its organization's data"
    assert client_for(org_b).get(f"/api/v1/jobs/{job_id}/").status_code == 404


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_finished_job_run_again_does_nothing(org_a):
    from jobs.services import job_dispatch, job_enqueue
    job = job_enqueue(organization=org_a, kind="audit.export")
    run_worker_burst()
    job.refresh_from_db()
    first_file, attempts = job.result_file.name, job.attempts
    job_dispatch(job)  # a duplicate delivery of the same rq job
    run_worker_burst()
    job.refresh_from_db()
    assert (job.result_file.name, job.attempts, job.status) == (first_file, attempts, "finished")
    assert AuditEvent.objects.filter(verb="audit.exported").count() == 1


@pytest.mark.django_db
def test_failed_job_hides_the_traceback_from_partners(org_a):
    from jobs.registry import job_kind
    from jobs.services import job_run

    @job_kind("test.boom")
    def boom(job, progress):
        progress(40, "halfway")
        raise RuntimeError("disk on fire")

    job = Job.objects.create(organization=org_a, kind="test.boom")
    with pytest.raises(RuntimeError):
        job_run(str(job.id))
    body = client_for(org_a).get(f"/api/v1/jobs/{job.id}/").json()
    assert body["status"] == "failed" and body["progress"] == 40
    assert "Traceback" not in body["error"] and "disk on fire" in body["error"]
