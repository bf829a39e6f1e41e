"""Staff API shapes for forms and their submissions (validation only; writes go through webforms.services)."""
import re

from django.urls import reverse
from rest_framework import serializers

from organizations.models import Organization
from events.models import Event
from testimony.models import Hearing

from .models import CONSENT_KINDS, LANGUAGES, STANDARD_FIELDS, FieldMode, Form, Sharing, Submission
from .rendering import TRANSLATABLE, markdown_html, sharing_statement

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
ORIGIN = re.compile(r"^https?://[^/\s?#]+$")


class CosponsorSerializer(serializers.Serializer):
    organization = serializers.SlugField(max_length=80)
    sharing = serializers.ChoiceField(choices=Sharing.choices, default=Sharing.RECRUITED)
    ref = serializers.SlugField(max_length=40, required=False, help_text="defaults to the organization's slug")

    def validate_organization(self, slug):
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise serializers.ValidationError(f"No organization {slug!r}.")
        return organization

    def to_representation(self, cosponsor):
        return {"organization": cosponsor.organization.slug, "sharing": cosponsor.sharing, "ref": cosponsor.ref}


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=100)
    label = serializers.CharField(max_length=300)
    label_es = serializers.CharField(max_length=300, required=False, allow_blank=True)


class QuestionSerializer(serializers.Serializer):
    key = serializers.RegexField(KEY, help_text="lower-case letters, digits and _ (the answer's key)")
    type = serializers.ChoiceField(choices=["text", "choice", "checkbox"])
    label = serializers.CharField(max_length=500)
    label_es = serializers.CharField(max_length=500, required=False, allow_blank=True)
    required = serializers.BooleanField(default=False)
    choices = ChoiceSerializer(many=True, required=False, max_length=50)
    max_length = serializers.IntegerField(min_value=1, max_value=2000, required=False)

    def validate(self, data):
        if data["type"] == "choice" and len(data.get("choices") or []) < 2:
            raise serializers.ValidationError({"choices": ["A choice question needs at least two choices."]})
        return data


class FormSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(source="organization", slug_field="slug", read_only=True)
    cosponsors = CosponsorSerializer(many=True, required=False, max_length=50)
    questions = QuestionSerializer(many=True, required=False, max_length=30)
    standard_fields = serializers.DictField(child=serializers.ChoiceField(choices=FieldMode.values), required=False)
    languages = serializers.ListField(child=serializers.ChoiceField(choices=LANGUAGES), required=False,
                                      min_length=1)
    allowed_origins = serializers.ListField(child=serializers.CharField(max_length=200), required=False,
                                            max_length=50)
    translations = serializers.DictField(child=serializers.DictField(child=serializers.CharField(
        max_length=20000, allow_blank=True)), required=False)
    event = serializers.PrimaryKeyRelatedField(queryset=Event.objects.all(), required=False, allow_null=True,
                                               help_text="kind event_rsvp: an event your organization can see")
    hearing = serializers.PrimaryKeyRelatedField(queryset=Hearing.objects.all(), required=False, allow_null=True,
                                                 help_text="kind testimony: a hearing your organization can see")
    introduction_html = serializers.SerializerMethodField()
    sharing_statement = serializers.SerializerMethodField()
    embed = serializers.SerializerMethodField()
    count = serializers.SerializerMethodField()

    class Meta:
        model = Form
        fields = ["id", "slug", "kind", "title", "owner", "cosponsors", "event", "hearing", "introduction", "introduction_html",
                  "standard_fields", "questions", "email_consent", "email_consent_text", "sms_consent",
                  "sms_consent_text", "coalition_consent", "coalition_consent_text", "sharing_statement",
                  "languages", "translations", "thank_you_text", "redirect_url", "allowed_origins", "opens_at",
                  "closes_at", "goal", "show_count", "count", "embed", "created_at", "modified_at"]
        read_only_fields = ["id", "created_at", "modified_at"]

    def get_introduction_html(self, form) -> str:
        return markdown_html(form.introduction)

    def get_sharing_statement(self, form) -> str:
        return sharing_statement(form)

    def get_count(self, form) -> int:
        return form.actions.count()

    def get_embed(self, form) -> dict:
        request = self.context["request"]
        script = request.build_absolute_uri(reverse("webforms-embed-js"))
        return {"page": request.build_absolute_uri(reverse("webforms-embed", args=[form.slug])),
                "json": request.build_absolute_uri(reverse("webforms-public", args=[form.slug])),
                "snippet": f'<script src="{script}" data-form="{form.slug}" async></script>',
                "referral_links": {c.organization.slug: f"?ref={c.ref}" for c in form.cosponsors.all()}}

    def validate_standard_fields(self, value):
        unknown = sorted(set(value) - set(STANDARD_FIELDS))
        if unknown:
            raise serializers.ValidationError(f"Unknown fields: {', '.join(unknown)}")
        return {**(self.instance.standard_fields if self.instance else Form().standard_fields), **value}

    def validate_allowed_origins(self, value):
        bad = [o for o in value if not ORIGIN.match(o.rstrip("/"))]
        if bad:
            raise serializers.ValidationError(f"Not an origin (scheme://host[:port]): {', '.join(bad)}")
        return [o.rstrip("/") for o in value]

    def validate_translations(self, value):
        for language, texts in value.items():
            if language not in LANGUAGES:
                raise serializers.ValidationError(f"Unknown language {language!r}.")
            unknown = sorted(set(texts) - set(TRANSLATABLE))
            if unknown:
                raise serializers.ValidationError(f"Not translatable: {', '.join(unknown)}")
        return value

    def validate_questions(self, value):
        keys = [q["key"] for q in value]
        if len(keys) != len(set(keys)):
            raise serializers.ValidationError("Question keys must be unique.")
        return value

    def validate_cosponsors(self, value):
        organizations = [c["organization"].pk for c in value]
        refs = [c.get("ref") or c["organization"].slug for c in value]
        if len(organizations) != len(set(organizations)) or len(refs) != len(set(refs)):
            raise serializers.ValidationError("Each co-sponsor and each ref code may appear once.")
        return value

    def validate(self, data):
        for kind in CONSENT_KINDS:
            mode = data.get(f"{kind}_consent", getattr(self.instance, f"{kind}_consent", None) if self.instance
                            else Form._meta.get_field(f"{kind}_consent").default)
            text = data.get(f"{kind}_consent_text", getattr(self.instance, f"{kind}_consent_text", "")
                            if self.instance else "")
            if mode != FieldMode.HIDDEN and not text.strip():
                raise serializers.ValidationError({f"{kind}_consent_text": [
                    "A shown consent checkbox needs its exact wording."]})
        opens = data.get("opens_at", getattr(self.instance, "opens_at", None))
        closes = data.get("closes_at", getattr(self.instance, "closes_at", None))
        if opens and closes and opens >= closes:
            raise serializers.ValidationError({"closes_at": ["must be after opens_at"]})
        return data


class SubmissionSerializer(serializers.ModelSerializer):
    form = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    recruited_by = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    referrer = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = ["id", "form", "contact", "outcome", "answers", "language", "recruited_by", "ref", "referrer",
                  "created_at"]

    def get_referrer(self, submission) -> dict:
        return {"utm_source": submission.utm_source, "utm_medium": submission.utm_medium,
                "utm_campaign": submission.utm_campaign, "utm_term": submission.utm_term,
                "utm_content": submission.utm_content, "url": submission.referrer_url}
