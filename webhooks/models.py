"""Webhook subscriptions, the events (messages) emitted to them, and the delivery log."""
import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from organizations.models import Organization
from organizations.tenancy import TenantQuerySet

EVENT_TYPES = (
    "contact.created", "contact.updated", "contact.merged", "contact.deleted", "consent.changed",
    "signup.created", "signup.updated", "submission.created", "testimony.updated", "job.finished",
)


class WebhookEndpoint(models.Model):
    """One organization's subscription: where to POST which events, and the secret deliveries are signed with."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    event_types = ArrayField(models.CharField(max_length=40), default=list)
    active = models.BooleanField(default=True)
    # Kept in clear: signing needs the secret itself (as in Svix and Stripe). Never shown after creation.
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True, help_text="backing off after a failure")
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        # Who is subscribed (subscribers() and emit, on every write): index-only probes per organization.
        indexes = [models.Index(fields=["organization"], include=["event_types"], condition=models.Q(active=True),
                                name="webhook_subscribed")]

    def __str__(self):
        return f"{self.organization} -> {self.url}"

    def signing_secrets(self, now=None) -> list[str]:
        """The current secret, plus the previous one during its grace period after a rotation."""
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            secrets.append(self.previous_secret)
        return secrets


class WebhookMessage(models.Model):
    """One event as one organization may see it. `id` is the global sequence (receivers drop stale events);
    `uid` is the public message id sent as `webhook-id` on every attempt (receivers de-duplicate on it)."""

    id = models.BigAutoField(primary_key=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    @property
    def message_id(self) -> str:
        return f"msg_{self.uid.hex}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """One message to one endpoint, with its retry state."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # No index of its own: `webhook_due` (endpoint, status, next_attempt_at) serves every lookup by endpoint, and
    # one index fewer is one insert fewer per delivery on the write that emits.
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 db_index=False)
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["endpoint", "status", "next_attempt_at"], name="webhook_due")]


class WebhookAttempt(models.Model):
    """The delivery log: one row per HTTP attempt (or a notice such as the endpoint being disabled)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    notice = models.CharField(max_length=300, blank=True)
    manual = models.BooleanField(default=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
