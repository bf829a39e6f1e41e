"""Embedded forms (issue 7): Form with its co-sponsors, Submission (one per accepted POST), FormAction (the
petition signature, story or volunteer interest it recorded) and OutboxMessage (messages waiting for the queue).

Who may see what lives in two places only: FormQuerySet.visible_to (owner and co-sponsors) and
SubmissionQuerySet.visible_to (owner; co-sponsors per their sharing mode).
"""
import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from contacts.models import Contact
from organizations.models import Organization
from organizations.tenancy import TenantQuerySet


class Kind(models.TextChoices):
    PETITION = "petition"
    STORY = "story"
    VOLUNTEER = "volunteer"
    EVENT_RSVP = "event_rsvp"
    TESTIMONY = "testimony"


class Sharing(models.TextChoices):
    ALL = "all", "receives every signer"
    RECRUITED = "recruited", "receives the people it recruited with its ref code"
    NONE = "none", "receives no one"


class FieldMode(models.TextChoices):
    REQUIRED = "required"
    OPTIONAL = "optional"
    HIDDEN = "hidden"


STANDARD_FIELDS = ("given_name", "family_name", "email", "phone", "postal_code", "address")
CONSENT_KINDS = ("email", "sms", "coalition")
LANGUAGES = ("en", "es")


def default_standard_fields():
    return {"given_name": "required", "family_name": "required", "email": "required", "phone": "optional",
            "postal_code": "required", "address": "hidden"}


def default_languages():
    return list(LANGUAGES)


class FormQuerySet(TenantQuerySet):
    def visible_to(self, organization):
        """The owner and every co-sponsor (whatever its sharing mode) see the form itself."""
        if organization is None:
            return self.none()
        cosponsor = FormCosponsor.objects.filter(form=OuterRef("pk"), organization=organization)
        return self.filter(Q(organization=organization) | Exists(cosponsor))

    def writable_by(self, organization):
        return self.filter(organization=organization) if organization is not None else self.none()


class Form(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="forms",
                                     help_text="the owner")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PETITION)
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    introduction = models.TextField(blank=True, max_length=20000, help_text="Markdown")
    standard_fields = models.JSONField(default=default_standard_fields)
    questions = models.JSONField(default=list, blank=True)
    email_consent = models.CharField(max_length=10, choices=FieldMode.choices, default=FieldMode.OPTIONAL)
    email_consent_text = models.TextField(blank=True, max_length=2000)
    sms_consent = models.CharField(max_length=10, choices=FieldMode.choices, default=FieldMode.HIDDEN)
    sms_consent_text = models.TextField(blank=True, max_length=2000)
    coalition_consent = models.CharField(max_length=10, choices=FieldMode.choices, default=FieldMode.HIDDEN)
    coalition_consent_text = models.TextField(blank=True, max_length=2000)
    languages = ArrayField(models.CharField(max_length=5), default=default_languages)
    translations = models.JSONField(default=dict, blank=True,
                                    help_text='{"es": {"title", "introduction", "thank_you_text", '
                                              '"email_consent_text", ...}}')
    thank_you_text = models.TextField(blank=True, max_length=5000)
    redirect_url = models.URLField(blank=True)
    allowed_origins = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="forms",
                              help_text="kind event_rsvp: the event people sign up for")
    hearing = models.ForeignKey("testimony.Hearing", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="forms", help_text="kind testimony: the hearing people sign up for")
    goal = models.PositiveIntegerField(null=True, blank=True)
    show_count = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)

    objects = FormQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (self.opens_at is None or self.opens_at <= now) and (self.closes_at is None or now < self.closes_at)


class FormCosponsor(models.Model):
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="cosponsors")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cosponsored_forms")
    sharing = models.CharField(max_length=10, choices=Sharing.choices, default=Sharing.RECRUITED)
    ref = models.SlugField(max_length=40, help_text="referral code: ?ref=<code> credits this co-sponsor")

    class Meta:
        ordering = ["organization__name"]
        constraints = [models.UniqueConstraint(fields=["form", "organization"], name="one_cosponsor_per_form_org"),
                       models.UniqueConstraint(fields=["form", "ref"], name="cosponsor_ref_unique_per_form")]


class SubmissionQuerySet(TenantQuerySet):
    def visible_to(self, organization):
        """The owner sees every submission; a co-sponsor sees them all (sharing "all"), only those it recruited
        ("recruited"), or none ("none")."""
        if organization is None:
            return self.none()
        cosponsor_all = FormCosponsor.objects.filter(form=OuterRef("form"), organization=organization,
                                                     sharing=Sharing.ALL)
        cosponsor_recruited = FormCosponsor.objects.filter(form=OuterRef("form"), organization=organization,
                                                           sharing=Sharing.RECRUITED)
        return self.filter(Q(form__organization=organization) | Exists(cosponsor_all) |
                           (Q(recruited_by=organization) & Exists(cosponsor_recruited)))

    def writable_by(self, organization):
        return self.none()  # submissions are a record of what people sent; never edited through the API


class Submission(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="submissions")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answers = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=5, default="en")
    recruited_by = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    ref = models.CharField(max_length=40, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    referrer_url = models.CharField(max_length=1000, blank=True)
    token_nonce = models.CharField(max_length=40, help_text="from the signed form token: one submission per token")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=20, blank=True, help_text="recorded | already_recorded")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["form", "token_nonce"], name="one_submission_per_token")]


class FormAction(models.Model):
    """What a submission recorded: a petition signature or volunteer interest (one per person and form), a
    story (one per submission)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="actions")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="actions")
    recruited_by = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form", "contact"], condition=~Q(kind="story"),
                                               name="one_action_per_form_contact")]
        indexes = [models.Index(fields=["form", "kind"])]


class OutboxMessage(models.Model):
    """A message a submission owes (the confirmation to the person, a notification to a partner). Written in the
    submission's transaction, so it survives Redis being down; webforms_sweep re-queues what is still pending."""

    KINDS = [("confirmation", "confirmation"), ("notification", "notification")]
    STATUS = [("pending", "pending"), ("sent", "sent"), ("failed", "failed")]
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="outbox")
    kind = models.CharField(max_length=20, choices=KINDS)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                                     help_text="the sender (confirmation) or the partner to notify")
    status = models.CharField(max_length=10, choices=STATUS, default="pending", db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
