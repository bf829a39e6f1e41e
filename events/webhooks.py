"""signup.created / signup.updated webhooks, rendered as the API renders a signup, to the organizations that may
see it in full (events.sharing: the host, `all` co-hosts, and whoever recruited the person)."""
from organizations.models import Organization


def notify_signup(signup, created: bool) -> None:
    from webhooks.services import emit, subscribers

    from .models import Signup
    from .serializers import signup_view

    event_type = "signup.created" if created else "signup.updated"
    audience = subscribers(Organization.objects.filter(coalition_id=signup.recruited_by.coalition_id), [event_type])
    if not audience:
        return
    allowed = {org.pk for org in audience if Signup.objects.visible_to(org).filter(pk=signup.pk).exists()}
    emit(event_type=event_type, audience=audience,
         render=lambda org: {"signup": signup_view(signup)} if org.pk in allowed else None)
