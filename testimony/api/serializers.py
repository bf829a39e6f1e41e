"""Serializers of the testimony API: validation only; the services do the work."""
from rest_framework import serializers

from contacts.inputs import PersonInput

from .. import workflow
from ..models import Bill, Hearing, SpeakerSlot, Testimony, TestimonyDraft, TestimonyPosition, TestimonyTransition
from ..services import registration_checklist


class BillSerializer(serializers.ModelSerializer):
    number = serializers.CharField(max_length=40, help_text='any spelling: "hb5001", "H.B. 5001", "HB 5001"')

    class Meta:
        model = Bill
        fields = ["id", "number", "title", "lco_number", "order"]
        read_only_fields = ["id", "order"]


class HearingSerializer(serializers.ModelSerializer):
    host = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    bills = BillSerializer(many=True, required=False)
    registration_deadline = serializers.DateTimeField(
        required=False, allow_null=True, help_text="default: 3:00 PM local time the day before the hearing")

    class Meta:
        model = Hearing
        fields = ["id", "host", "visibility", "committee", "title", "starts_at", "timezone", "format", "room",
                  "virtual_url", "registration_url", "registration_deadline", "registration_deadline_is_default",
                  "written_testimony_url", "written_deadline", "speaker_order_url", "speaker_order_posted_at",
                  "status", "previous_starts_at", "officials_minutes", "minutes_per_speaker", "bills",
                  "created_at", "modified_at"]
        read_only_fields = ["id", "host", "registration_deadline_is_default", "previous_starts_at", "created_at",
                            "modified_at"]

    def validate(self, data):
        if self.instance is not None and "bills" in data:
            raise serializers.ValidationError({"bills": ["Add bills with POST /hearings/{id}/bills/."]})
        starts_at = data.get("starts_at") or getattr(self.instance, "starts_at", None)
        for name in ("registration_deadline", "written_deadline"):
            if data.get(name) and starts_at and data[name] > starts_at:
                raise serializers.ValidationError({name: ["must not be after the hearing starts"]})
        return data


class PositionSerializer(serializers.Serializer):
    bill = serializers.CharField(max_length=40)
    position = serializers.ChoiceField(choices=TestimonyPosition.Position.choices)


class TestimonyPositionSerializer(serializers.ModelSerializer):
    bill = serializers.CharField(source="bill.number")

    class Meta:
        model = TestimonyPosition
        fields = ["bill", "position"]


class DraftSerializer(serializers.ModelSerializer):
    bill = serializers.CharField(source="bill.number", default=None, read_only=True)

    class Meta:
        model = TestimonyDraft
        fields = ["id", "version", "bill", "kind", "text", "filename", "size", "sha256", "note", "created_by",
                  "created_at"]


class DraftCreateSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, max_length=100_000, default="")
    file = serializers.FileField(required=False, allow_empty_file=True)
    bill = serializers.CharField(required=False, allow_blank=True, max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class TransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = TestimonyTransition
        fields = ["from_status", "to_status", "actor", "note", "details", "created_at"]


class TestimonySerializer(serializers.ModelSerializer):
    """A witness in full, as the recruiting organization sees it."""

    hearing = serializers.PrimaryKeyRelatedField(read_only=True)
    contact = serializers.PrimaryKeyRelatedField(read_only=True)
    witness = serializers.SerializerMethodField()
    recruited_by = serializers.SlugRelatedField(source="organization", slug_field="slug", read_only=True)
    coach = serializers.CharField(source="coach.username", default=None, read_only=True)
    positions = TestimonyPositionSerializer(many=True, read_only=True)
    public_record_consent = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    latest_draft = serializers.SerializerMethodField()
    registration = serializers.SerializerMethodField()

    class Meta:
        model = Testimony
        fields = ["id", "hearing", "contact", "witness", "recruited_by", "mode", "role", "affiliation", "language",
                  "accessibility_needs", "coach", "positions", "public_record_consent", "status",
                  "allowed_transitions", "registration_confirmation", "registered_at", "speaker_position",
                  "estimated_start", "latest_draft", "review_notes", "registration", "created_at", "modified_at"]

    def get_witness(self, t) -> dict:
        return {"given_name": t.contact.given_name, "family_name": t.contact.family_name}

    def get_public_record_consent(self, t) -> dict | None:
        if not t.public_record_consent_at:
            return None
        return {"text": t.public_record_consent_text, "captured_at": t.public_record_consent_at}

    def get_allowed_transitions(self, t) -> list[str]:
        return workflow.allowed(t.status)

    def get_latest_draft(self, t) -> dict | None:
        drafts = sorted(t.drafts.all(), key=lambda d: d.version)
        return DraftSerializer(drafts[-1]).data if drafts else None

    def get_registration(self, t) -> dict | None:
        """The registration link and checklist, from the registration step on (with public-record consent)."""
        if t.status not in ("reviewed", "registered", "in_speaker_order") or t.mode == "written_only":
            return None
        if not t.has_public_record_consent:
            return {"blocked": "public_record_consent_required"}
        return registration_checklist(t)


class TestimonyCreateSerializer(serializers.Serializer):
    contact = serializers.UUIDField(required=False, help_text="an existing contact's id")
    person = PersonInput(required=False, help_text="or a contact body, matched or created")
    positions = PositionSerializer(many=True, required=False, max_length=50)
    mode = serializers.ChoiceField(choices=Testimony.Mode.choices, default=Testimony.Mode.IN_PERSON)
    role = serializers.ChoiceField(choices=Testimony.Role.choices, default=Testimony.Role.COMMUNITY_MEMBER)
    affiliation = serializers.CharField(required=False, allow_blank=True, max_length=200)
    language = serializers.CharField(required=False, allow_blank=True, max_length=16)
    accessibility_needs = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    coach = serializers.CharField(required=False, allow_null=True, max_length=150, help_text="staff username")
    review_notes = serializers.CharField(required=False, allow_blank=True, max_length=20000)

    def validate(self, data):
        if ("contact" in data) == ("person" in data):
            raise serializers.ValidationError("Give either contact (an id) or person (a contact body).")
        return data


class TestimonyUpdateSerializer(serializers.Serializer):
    positions = PositionSerializer(many=True, required=False, max_length=50)
    mode = serializers.ChoiceField(choices=Testimony.Mode.choices, required=False)
    role = serializers.ChoiceField(choices=Testimony.Role.choices, required=False)
    affiliation = serializers.CharField(required=False, allow_blank=True, max_length=200)
    language = serializers.CharField(required=False, allow_blank=True, max_length=16)
    accessibility_needs = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    coach = serializers.CharField(required=False, allow_null=True, max_length=150)
    review_notes = serializers.CharField(required=False, allow_blank=True, max_length=20000)


class TransitionRequestSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=30)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    confirmation = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="",
                                         help_text="to registered: what the committee sent the witness")
    position = serializers.IntegerField(required=False, min_value=1, help_text="to in_speaker_order")


class ConsentRequestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, help_text="the exact wording the witness agreed to")
    captured_at = serializers.DateTimeField(required=False)


class SpeakerOrderImportSerializer(serializers.Serializer):
    names = serializers.ListField(child=serializers.CharField(max_length=300), required=False, max_length=2000)
    text = serializers.CharField(required=False, max_length=500_000, help_text="pasted order, one name a line")
    file = serializers.FileField(required=False, help_text="a text or CSV file, one name a line")
    posted_at = serializers.DateTimeField(required=False)
    url = serializers.URLField(required=False)

    def validate(self, data):
        if sum(1 for k in ("names", "text", "file") if k in data) != 1:
            raise serializers.ValidationError("Give one of names (a list), text (pasted) or file (uploaded).")
        if "file" in data:
            raw = data.pop("file").read(2_000_001)
            if len(raw) > 2_000_000:
                raise serializers.ValidationError({"file": ["The file is larger than 2 MB."]})
            try:
                data["text"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                data["text"] = raw.decode("latin-1")
        return data


class SpeakerSlotSerializer(serializers.ModelSerializer):
    """A posted line. The name is public (the committee posts it); which witness it is shows only to the
    witness's recruiting organization."""

    testimony = serializers.SerializerMethodField()
    matched = serializers.SerializerMethodField()

    class Meta:
        model = SpeakerSlot
        fields = ["position", "name", "matched", "testimony", "match_rule", "done_at"]

    def get_matched(self, slot) -> bool:
        return slot.testimony_id is not None

    def get_testimony(self, slot) -> str | None:
        mine = slot.testimony_id and slot.testimony.organization_id == self.context["organization"].pk
        return str(slot.testimony_id) if mine else None


class SpeakerOrderLinkSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1)
    testimony = serializers.UUIDField()


class SpeakerOrderDoneSerializer(serializers.Serializer):
    through = serializers.IntegerField(required=False, min_value=1, help_text="every position up to this one")
    positions = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=2000)

    def validate(self, data):
        if ("through" in data) == ("positions" in data):
            raise serializers.ValidationError("Give through (a position) or positions (a list).")
        return data


class PacketRequestSerializer(serializers.Serializer):
    bill = serializers.CharField(max_length=40)
