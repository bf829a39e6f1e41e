"""testimony.updated webhooks: a witness is visible only to the organization that recruited them, so only that
organization is told, with the same body the API gives it."""


def notify_testimony(testimony) -> None:
    from webhooks.services import emit, subscribers

    from .api.serializers import TestimonySerializer
    from .models import Testimony

    owner = testimony.organization
    if not subscribers(type(owner).objects.filter(pk=owner.pk), ["testimony.updated"]):
        return
    fresh = Testimony.objects.select_related("contact", "organization", "coach").get(pk=testimony.pk)
    emit(event_type="testimony.updated", audience=[owner],
         render=lambda org: {"testimony": TestimonySerializer(fresh).data})
