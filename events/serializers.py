"""Shapes of events, shifts and signups (DESIGN.md section 7). Validation of input only; rules in services."""
import uuid
from zoneinfo import ZoneInfo

from rest_framework import serializers

from contacts.inputs import PersonInput, validate_people
from organizations.models import Organization, validate_timezone

from . import sharing
from .models import Event, EventKind, EventStatus, Sharing, Shift, SignupSource, SignupStatus, Visibility


def local_iso(value, tz: str):
    return value.astimezone(ZoneInfo(tz)).isoformat() if value else None


# ---- input ---------------------------------------------------------------------------------------------------

class LocationInput(serializers.Serializer):
    venue = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=2, required=False, allow_blank=True)
    postal_code = serializers.RegexField(r"^\d{5}(-\d{4})?$", required=False, allow_blank=True)
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)


class CoHostInput(serializers.Serializer):
    organization = serializers.SlugField()
    sharing = serializers.ChoiceField(choices=Sharing.choices, default=Sharing.TOTALS)

    def validate_organization(self, slug):
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise serializers.ValidationError(f"No member organization {slug!r}.")
        return org


class ShiftInput(serializers.Serializer):
    role = serializers.CharField(max_length=100, required=False, allow_blank=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    instructions = serializers.CharField(max_length=5000, required=False, allow_blank=True)

    def validate(self, data):
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            raise serializers.ValidationError({"ends_at": ["The end must be after the start."]})
        return data


class EventInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EventKind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=50000, required=False, allow_blank=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    is_virtual = serializers.BooleanField(required=False)
    location = LocationInput(required=False)
    address_registrants_only = serializers.BooleanField(required=False)
    virtual_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    accessibility_notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    status = serializers.ChoiceField(choices=EventStatus.choices, required=False)
    capacity = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    registration_deadline = serializers.DateTimeField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=50)
    co_hosts = CoHostInput(many=True, required=False)
    shifts = ShiftInput(many=True, required=False)

    def validate(self, data):
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            raise serializers.ValidationError({"ends_at": ["The end must be after the start."]})
        deadline = data.get("registration_deadline")
        if deadline and end and deadline > end:
            raise serializers.ValidationError({"registration_deadline": ["The deadline must be before the end."]})
        location = data.pop("location", None)
        if location:
            data.update(location)
        return data


class ReferrerInput(serializers.Serializer):
    utm_source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_medium = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_campaign = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_term = serializers.CharField(max_length=200, required=False, allow_blank=True)
    utm_content = serializers.CharField(max_length=200, required=False, allow_blank=True)
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True)


class SignupInput(serializers.Serializer):
    contact = serializers.UUIDField(required=False)
    person = PersonInput(required=False)
    shift = serializers.UUIDField(required=False, allow_null=True)
    guests = serializers.IntegerField(min_value=0, max_value=20, default=0)
    source = serializers.ChoiceField(choices=[SignupSource.FORM, SignupSource.API, SignupSource.STAFF],
                                     required=False)
    referrer = ReferrerInput(required=False)
    override_overlap = serializers.BooleanField(default=False)

    def validate(self, data):
        if ("contact" in data) == ("person" in data):
            raise serializers.ValidationError("Give either `contact` (an id) or `person` (a contact body).")
        return data


def signup_input(data) -> dict:
    """SignupInput's validated data. The ordinary body (a contact id or a plain person, a shift, plain referrer
    strings) takes a lean path that builds exactly what SignupInput builds, for a tenth of the CPU (DRF's
    per-field machinery cost 1.3 ms a signup); anything else goes through SignupInput, which reports errors as
    always. tests/events/test_signup_input.py holds the two together."""
    lean = _lean_signup(data)
    if lean is not None:
        return lean
    serializer = SignupInput(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


_SOURCES = {str(choice): choice for choice in SignupInput._declared_fields["source"].choices}
_REFERRER_LIMITS = {name: field.max_length for name, field in ReferrerInput._declared_fields.items()}


class _Unusual(Exception):
    pass


def _plain(value, max_length: int) -> str:
    """A string serializers.CharField(allow_blank=True) returns as it is (no whitespace to trim, no control
    character); anything else is unusual."""
    if type(value) is not str or len(value) > max_length or not value.isprintable() or value != value.strip():
        raise _Unusual
    return value


def _uuid(value) -> uuid.UUID:
    if type(value) is not str:
        raise _Unusual
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _Unusual from None


def _lean_signup(data) -> dict | None:
    if type(data) is not dict or ("contact" in data) == ("person" in data):
        return None
    try:
        out = {}
        if "contact" in data:
            out["contact"] = _uuid(data["contact"])
        else:
            if type(data["person"]) is not dict:
                return None
            people, errors = validate_people([data["person"]])
            if errors:
                return None
            out["person"] = people[0]
        if "shift" in data:
            out["shift"] = None if data["shift"] is None else _uuid(data["shift"])
        out["guests"] = data.get("guests", 0)
        if type(out["guests"]) is not int or not 0 <= out["guests"] <= 20:
            return None
        if "source" in data:
            if type(data["source"]) is not str or data["source"] not in _SOURCES:
                return None
            out["source"] = _SOURCES[data["source"]]
        if "referrer" in data:
            referrer = data["referrer"]
            if type(referrer) is not dict or referrer.get("url"):  # a URL goes through URLField's checks
                return None
            out["referrer"] = {name: _plain(referrer[name], limit) for name, limit in _REFERRER_LIMITS.items()
                               if name in referrer}
        out["override_overlap"] = data.get("override_overlap", False)
        if type(out["override_overlap"]) is not bool:
            return None
    except _Unusual:
        return None
    return out


class CheckInInput(serializers.Serializer):
    signup = serializers.UUIDField(required=False)
    contact = serializers.UUIDField(required=False)
    person = PersonInput(required=False)
    shift = serializers.UUIDField(required=False, allow_null=True)

    def validate(self, data):
        if sum(1 for key in ("signup", "contact", "person") if key in data) != 1:
            raise serializers.ValidationError("Give exactly one of `signup`, `contact` or `person` (a walk-in).")
        return data


class SignupStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=SignupStatus.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    override_overlap = serializers.BooleanField(default=False)


# ---- output --------------------------------------------------------------------------------------------------

def shift_view(shift: Shift, tz: str, *, private: bool) -> dict:
    taken = getattr(shift, "taken", None)
    if taken is None:
        from .services import shift_counts
        taken = shift_counts(shift)["registered_count"]
    data = {"id": shift.pk, "starts_at": local_iso(shift.starts_at, tz), "ends_at": local_iso(shift.ends_at, tz),
            "capacity": shift.capacity, "role": shift.role, "registered_count": taken,
            "is_full": shift.capacity is not None and taken >= shift.capacity}
    if private:
        data["instructions"] = shift.instructions
    return data


def event_view(event: Event, organization=None) -> dict:
    """The event shape. `organization` None is the public view: no private fields at all. The host and co-hosts
    see everything; other members see the address only if it is not reserved for registrants, and never the
    virtual link (registrants get it in their messages)."""
    insider = organization is not None and sharing.access(event, organization) is not None
    show_address = insider or not event.address_registrants_only
    tz = event.timezone
    data = {
        "id": event.pk, "kind": event.kind, "title": event.title, "description": event.description,
        "host": event.host.slug,
        "co_hosts": [{"organization": c.organization.slug, "sharing": c.sharing} for c in event.co_hosts.all()],
        "starts_at": local_iso(event.starts_at, tz), "ends_at": local_iso(event.ends_at, tz), "timezone": tz,
        "visibility": event.visibility, "status": event.status, "capacity": event.capacity,
        "is_virtual": event.is_virtual,
        "location": None if event.is_virtual else {
            "venue": event.venue, "line1": event.line1 if show_address else "", "city": event.city,
            "state": event.state, "postal_code": event.postal_code,
            "latitude": event.latitude if show_address else None,
            "longitude": event.longitude if show_address else None},
        "address_registrants_only": event.address_registrants_only,
        "virtual_url": event.virtual_url if insider else "",
        "accessibility_notes": event.accessibility_notes,
        "registration_deadline": local_iso(event.registration_deadline, tz),
        "tags": event.tags,
        "shifts": [shift_view(s, tz, private=insider) for s in event.shifts.all()],
        "created_at": event.created_at, "modified_at": event.modified_at,
    }
    if organization is None:
        for private in ("co_hosts", "virtual_url", "created_at", "modified_at", "address_registrants_only"):
            data.pop(private)
        data["co_hosts"] = [c.organization.slug for c in event.co_hosts.all()]
    return data


def signup_view(signup) -> dict:
    return {
        "id": signup.pk, "event": signup.event_id, "shift": signup.shift_id, "contact": signup.contact_id,
        "name": str(signup.contact), "status": signup.status, "recruited_by": signup.recruited_by.slug,
        "referrer": {"utm_source": signup.utm_source, "utm_medium": signup.utm_medium,
                     "utm_campaign": signup.utm_campaign, "utm_term": signup.utm_term,
                     "utm_content": signup.utm_content, "url": signup.referrer_url},
        "source": signup.source, "guests": signup.guests, "checked_in_at": signup.checked_in_at,
        "created_at": signup.created_at, "modified_at": signup.modified_at,
    }


class ViewSerializer(serializers.Serializer):
    """Renders through a view function (so the shape is written once); its declared fields describe that shape
    for the OpenAPI schema."""

    view = None

    def to_representation(self, instance):
        return type(self).view(instance, **self.context.get("view_kwargs", {}))


class LocationSerializer(LocationInput):
    pass


class CoHostSerializer(serializers.Serializer):
    organization = serializers.SlugField()
    sharing = serializers.ChoiceField(choices=Sharing.choices)


class ShiftSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(allow_null=True)
    role = serializers.CharField()
    registered_count = serializers.IntegerField()
    is_full = serializers.BooleanField()
    instructions = serializers.CharField(required=False, help_text="host and co-hosts only")


class EventSerializer(ViewSerializer):
    view = staticmethod(event_view)
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    title = serializers.CharField()
    description = serializers.CharField(help_text="sanitised HTML")
    host = serializers.SlugField()
    co_hosts = CoHostSerializer(many=True)
    starts_at = serializers.DateTimeField(help_text="ISO 8601 with the offset of the event's time zone")
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField()
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    status = serializers.ChoiceField(choices=EventStatus.choices)
    capacity = serializers.IntegerField(allow_null=True)
    is_virtual = serializers.BooleanField()
    location = LocationSerializer(allow_null=True)
    address_registrants_only = serializers.BooleanField()
    virtual_url = serializers.CharField(help_text="host and co-hosts only; registrants get it in their messages")
    accessibility_notes = serializers.CharField()
    registration_deadline = serializers.DateTimeField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    shifts = ShiftSerializer(many=True)
    created_at = serializers.DateTimeField()
    modified_at = serializers.DateTimeField()


class ReferrerSerializer(ReferrerInput):
    pass


class SignupSerializer(ViewSerializer):
    view = staticmethod(signup_view)
    id = serializers.UUIDField()
    event = serializers.UUIDField()
    shift = serializers.UUIDField(allow_null=True)
    contact = serializers.UUIDField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=SignupStatus.choices)
    recruited_by = serializers.SlugField()
    referrer = ReferrerSerializer()
    source = serializers.ChoiceField(choices=SignupSource.choices)
    guests = serializers.IntegerField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    modified_at = serializers.DateTimeField()
