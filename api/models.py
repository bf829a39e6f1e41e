import uuid

from django.db import models

from organizations.models import Organization


class IdempotencyRecord(models.Model):
    """One `Idempotency-Key` of one organization: the request it was first used for and, once that finished,
    the response replayed to every retry. `locked_until` is the lease of a request still running: a crashed
    request cannot hold its key for longer (api/idempotency.py)."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    body_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    owner = models.UUIDField(default=uuid.uuid4, help_text="the request currently holding the key")
    locked_until = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.BinaryField(default=b"", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="one_idempotency_key_per_org")]
