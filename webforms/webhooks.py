"""submission.created webhooks, to the organizations entitled to the submission (SubmissionQuerySet.visible_to:
the owner, and co-sponsors by their sharing mode), with the body the submissions API gives them."""


def submission_subscribers(submission) -> list:
    """The organizations of the form's coalition subscribed to submission.created (read once per request)."""
    from webhooks.services import coalition_subscribers

    return coalition_subscribers([submission.form.organization.coalition_id], ["submission.created"])


def notify_submission(submission) -> None:
    from webhooks.services import emit

    from .models import Submission
    from .serializers import SubmissionSerializer

    audience = submission_subscribers(submission)
    if not audience:
        return
    allowed = {org.pk for org in audience if Submission.objects.visible_to(org).filter(pk=submission.pk).exists()}
    body = SubmissionSerializer(submission).data
    emit(event_type="submission.created", audience=audience,
         render=lambda org: {"submission": body} if org.pk in allowed else None)
