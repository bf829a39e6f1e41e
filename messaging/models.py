"""The log of every message the system sends to a person (email or SMS), one row per logical message.

`dedupe_key` is UNIQUE: the row is inserted before anything is sent, so a retried job or a second worker that
tries the same message finds the row and does not send again (messaging.services.send_once).
"""
import uuid

from django.db import models
from django.utils import timezone

from contacts.models import Contact
from organizations.models import Organization
from organizations.tenancy import TenantQuerySet


class Channel(models.TextChoices):
    EMAIL = "email"
    SMS = "sms"


class MessageStatus(models.TextChoices):
    QUEUED = "queued"                          # claimed by one sender; being sent now
    SENT = "sent"
    SKIPPED_NO_CONSENT = "skipped_no_consent"  # no consent for the channel, or no address to use it
    FAILED = "failed"                          # the backend raised; a retry may claim it again


class MessageQuerySet(TenantQuerySet):
    pass


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="messages",
                                     help_text="on whose behalf it is sent (whose consent applies)")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=60, help_text="e.g. events.confirmation, events.reminder_day")
    dedupe_key = models.CharField(max_length=300, unique=True)
    status = models.CharField(max_length=20, choices=MessageStatus.choices, default=MessageStatus.QUEUED,
                              db_index=True)
    to = models.CharField(max_length=254, blank=True, help_text="the address or number used")
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["contact", "kind"])]

    def __str__(self):
        return f"{self.kind} {self.channel} to {self.contact_id} ({self.status})"
