"""Private objects of the webhooks routes, for the router-wide tenancy walk."""
from tests.isolation import private_object


def _endpoint(organization):
    from webhooks.services import webhook_create
    return webhook_create(organization=organization, actor=None, url="http://127.0.0.1:9/hooks",
                          event_types=["job.finished"])[0]


@private_object("webhook")
def _webhook(organization):
    return _endpoint(organization).pk


@private_object("webhook-delivery")
def _webhook_delivery(organization):
    from webhooks.models import WebhookDelivery, WebhookMessage
    endpoint = _endpoint(organization)
    message = WebhookMessage.objects.create(organization=organization, event_type="job.finished", payload={})
    return WebhookDelivery.objects.create(organization=organization, endpoint=endpoint, message=message).pk
