"""Legislative hearings, their bills, and each witness's testimony (issue 6).

Visibility (DESIGN.md section 4) lives in the querysets:
- a hearing is seen by its host and, when its visibility is "coalition", by every member; only the host edits it;
- a testimony is seen in full only by the organization that recruited the witness (`TestimonyQuerySet.visible_to`);
  other members see it only as counts (`TestimonyQuerySet.counted_for`, used by the summary).
"""
import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.db.models import Q
from django.utils.timezone import now

from contacts.models import Contact
from organizations.models import Organization, validate_timezone
from organizations.tenancy import TenantQuerySet

from . import workflow


class HearingQuerySet(TenantQuerySet):
    organization_path = "host"

    def visible_to(self, organization):
        if organization is None:
            return self.none()
        return self.filter(Q(host=organization) | Q(visibility=Hearing.Visibility.COALITION,
                                                    host__coalition_id=organization.coalition_id))

    def writable_by(self, organization):
        return self.filter(host=organization) if organization else self.none()


class Hearing(models.Model):
    class Format(models.TextChoices):
        IN_PERSON = "in_person"
        ZOOM = "zoom"
        HYBRID = "hybrid"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        RESCHEDULED = "rescheduled"
        CANCELLED = "cancelled"

    class Visibility(models.TextChoices):
        COALITION = "coalition"
        PRIVATE = "private"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    host = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="hosted_hearings")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.COALITION)
    committee = models.CharField(max_length=200, help_text="e.g. Education")
    title = models.CharField(max_length=300, blank=True)
    starts_at = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.HYBRID)
    room = models.CharField(max_length=200, blank=True, help_text="e.g. LOB Room 2E")
    virtual_url = models.URLField(blank=True)
    registration_url = models.URLField(blank=True)
    registration_deadline = models.DateTimeField()
    registration_deadline_is_default = models.BooleanField(default=True, editable=False)
    written_testimony_url = models.URLField(blank=True)
    written_deadline = models.DateTimeField(null=True, blank=True)
    speaker_order_url = models.URLField(blank=True)
    speaker_order_posted_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    previous_starts_at = models.DateTimeField(null=True, blank=True, help_text="before the last reschedule")
    officials_minutes = models.PositiveSmallIntegerField(default=60, help_text="reserved for officials")
    minutes_per_speaker = models.PositiveSmallIntegerField(default=3)
    created_at = models.DateTimeField(default=now)
    modified_at = models.DateTimeField(default=now)

    objects = HearingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]

    def __str__(self):
        return f"{self.committee} hearing {self.starts_at:%Y-%m-%d}"


class Bill(models.Model):
    """An agenda item of one hearing. `number` is normalised (testimony.bills), so a bill appears once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="bills")
    number = models.CharField(max_length=20, help_text='normalised, e.g. "HB 5001"')
    title = models.CharField(max_length=500, blank=True)
    lco_number = models.CharField(max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["order", "created_at"]
        constraints = [models.UniqueConstraint(fields=["hearing", "number"], name="one_bill_per_hearing")]

    def __str__(self):
        return self.number


class TestimonyQuerySet(TenantQuerySet):
    """The one place that decides who sees a witness: the recruiting organization, in full. Everyone who sees
    the hearing gets counts only, through `counted_for`."""

    def visible_to(self, organization):
        if organization is None:
            return self.none()
        return self.filter(organization=organization)

    def counted_for(self, organization):
        """Every testimony on the hearings the organization sees: for aggregate counts, never for rows."""
        return self.filter(hearing__in=Hearing.objects.visible_to(organization))


class Testimony(models.Model):
    class Mode(models.TextChoices):
        IN_PERSON = "in_person"
        ZOOM = "zoom"
        PHONE = "phone"
        WRITTEN_ONLY = "written_only"

    class Role(models.TextChoices):
        PARENT = "parent"
        STUDENT = "student"
        TEACHER = "teacher"
        SCHOOL_STAFF = "school_staff"
        COMMUNITY_MEMBER = "community_member"
        FAITH_LEADER = "faith_leader"
        ADVOCATE = "advocate"
        OTHER = "other"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="testimonies")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="testimonies",
                                help_text="erasing the person (contacts) erases their testimony and drafts")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="testimonies",
                                     help_text="the recruiting organization")
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.IN_PERSON)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COMMUNITY_MEMBER)
    affiliation = models.CharField(max_length=200, blank=True, help_text="the witness's own, e.g. a school")
    language = models.CharField(max_length=16, blank=True)
    accessibility_needs = models.TextField(blank=True)
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="coached_testimonies")
    public_record_consent_text = models.TextField(blank=True)
    public_record_consent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=[(s, s) for s in workflow.STATUSES], default="recruited",
                              db_index=True)
    registration_confirmation = models.TextField(blank=True, help_text="what the legislature sent the witness")
    registered_at = models.DateTimeField(null=True, blank=True)
    speaker_position = models.PositiveIntegerField(null=True, blank=True)
    estimated_start = models.DateTimeField(null=True, blank=True)
    review_notes = models.TextField(blank=True, help_text="private to the recruiting organization")
    created_at = models.DateTimeField(default=now)
    modified_at = models.DateTimeField(default=now)

    objects = TestimonyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["hearing", "contact"], name="one_testimony_per_hearing")]

    def __str__(self):
        return f"{self.contact} at {self.hearing}"

    @property
    def has_public_record_consent(self) -> bool:
        return bool(self.public_record_consent_at and self.public_record_consent_text.strip())


class TestimonyPosition(models.Model):
    class Position(models.TextChoices):
        SUPPORT = "support"
        OPPOSE = "oppose"
        NEUTRAL = "neutral"

    testimony = models.ForeignKey(Testimony, on_delete=models.CASCADE, related_name="positions")
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="positions")
    position = models.CharField(max_length=8, choices=Position.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["testimony", "bill"], name="one_position_per_bill")]


class TestimonyDraft(models.Model):
    """One version of the written testimony: text, or an uploaded PDF/DOCX (type checked by content)."""

    class Kind(models.TextChoices):
        TEXT = "text"
        PDF = "pdf"
        DOCX = "docx"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    testimony = models.ForeignKey(Testimony, on_delete=models.CASCADE, related_name="drafts")
    version = models.PositiveIntegerField()
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             help_text="empty: for every bill the witness addresses")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    text = models.TextField(blank=True)
    file = models.FileField(upload_to="testimony/drafts/%Y/%m/", blank=True)
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True, help_text="why this version (edit reason)")
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["version"]
        constraints = [models.UniqueConstraint(fields=["testimony", "version"], name="one_draft_version")]


class TestimonyTransition(models.Model):
    """The witness's history: every status change, who made it and why."""

    testimony = models.ForeignKey(Testimony, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    actor = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "id"]


class SpeakerSlot(models.Model):
    """One line of the committee's posted speaker order (every speaker, not only the coalition's)."""

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="speaker_slots")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=300)
    testimony = models.ForeignKey(Testimony, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="speaker_slots")
    match_rule = models.CharField(max_length=10, blank=True, help_text="exact | fuzzy | manual")
    done_at = models.DateTimeField(null=True, blank=True)
    notified_ahead = models.PositiveIntegerField(null=True, blank=True,
                                                 help_text="speakers ahead at the last queue update")

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["hearing", "position"], name="one_slot_per_position")]


@receiver(post_delete, sender=TestimonyDraft)
def _draft_file_delete(sender, instance, **kwargs):
    """An erased person's (or a deleted testimony's) uploaded documents leave the disk too, once committed."""
    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: storage.delete(name))
