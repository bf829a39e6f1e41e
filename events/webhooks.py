"""signup.created / signup.updated webhooks, rendered as the API renders a signup, to the organizations that may
see it in full (events.sharing: the host, `all` co-hosts, and whoever recruited the person)."""
from organizations.models import Organization


def _event_type(created: bool) -> str:
    return "signup.created" if created else "signup.updated"


def signup_audience(coalition_id, created: bool) -> list[Organization]:
    """The coalition's organizations subscribed to signup.created (or .updated). A signup reads it before it
    locks the event row, so the lock is not held over this query."""
    from webhooks.services import coalition_subscribers
    return coalition_subscribers([coalition_id], [_event_type(created)])


def notify_signup(signup, created: bool, audience: list[Organization] | None = None) -> None:
    """`audience`: signup_audience(), when the caller has read it already."""
    from webhooks.services import emit

    from .models import Signup
    from .serializers import signup_view

    if audience is None:
        audience = signup_audience(signup.recruited_by.coalition_id, created)
    if not audience:
        return
    allowed = {org.pk for org in audience if Signup.objects.visible_to(org).filter(pk=signup.pk).exists()}
    emit(event_type=_event_type(created), audience=audience,
         render=lambda org: {"signup": signup_view(signup)} if org.pk in allowed else None)
