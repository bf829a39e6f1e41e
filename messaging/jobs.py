"""rq job kinds of messaging (thin wrappers around messaging.services)."""
from contacts.models import Contact
from jobs.registry import job_kind

from .services import send_once


@job_kind("messaging.send")
def send(job, progress) -> dict:
    params = job.params
    contact = Contact.objects.get(pk=params["contact"])
    message = send_once(organization=job.organization, contact=contact, channel=params["channel"],
                        kind=params["kind"], dedupe_key=params["dedupe_key"], subject=params.get("subject", ""),
                        body=params["body"])
    return {"message": str(message.pk), "status": message.status}
