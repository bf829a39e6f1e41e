"""Validation of a person as partners send it (the `contact` shape of DESIGN.md section 7), shared by the API,
bulk upsert, CSV import and forms. Each value is normalised here, so a bad one is reported against its field."""
from rest_framework import serializers

from .models import CHANNELS, Consent
from .normalize import InvalidValue, normalize_email, parse_address, parse_phone

MAX_VALUES = 20  # emails, phones or addresses on one person


class EmailInput(serializers.Serializer):
    address = serializers.CharField(max_length=254)
    primary = serializers.BooleanField(default=False)

    def validate(self, data):
        try:
            data["normalized"] = normalize_email(data["address"])
        except InvalidValue as exc:
            raise serializers.ValidationError({"address": [str(exc)]})
        data["address"] = data["address"].strip()
        return data


class PhoneInput(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    type = serializers.ChoiceField(choices=["mobile", "landline", "voip"], required=False)
    primary = serializers.BooleanField(default=False)

    def validate(self, data):
        try:
            phone = parse_phone(data["number"], data.get("type"))
        except InvalidValue as exc:
            raise serializers.ValidationError({"number": [str(exc)]})
        return {"raw": data["number"], "number": phone.e164, "type": phone.type, "primary": data["primary"]}


class AddressInput(serializers.Serializer):
    line1 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    state = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    latitude = serializers.FloatField(required=False, allow_null=True, default=None)
    longitude = serializers.FloatField(required=False, allow_null=True, default=None)
    primary = serializers.BooleanField(default=False)

    def validate(self, data):
        primary = data.pop("primary")
        try:
            address = parse_address(**data)
        except InvalidValue as exc:
            field = "postal_code" if "ZIP" in str(exc) else "latitude"
            raise serializers.ValidationError({field: [str(exc)]})
        return {"address": address, "primary": primary}


class ConsentInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=[c for c, _ in CHANNELS])
    scope = serializers.ChoiceField(choices=["organization", "coalition"], default="organization")
    status = serializers.ChoiceField(choices=["opt_in", "opt_out"])
    source = serializers.ChoiceField(choices=[s for s, _ in Consent.SOURCES if s != "merge"], default="api")
    text = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    captured_at = serializers.DateTimeField(required=False)
    ip_address = serializers.IPAddressField(required=False, allow_null=True, default=None)


class PersonInput(serializers.Serializer):
    given_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    family_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    emails = EmailInput(many=True, required=False, max_length=MAX_VALUES)
    phones = PhoneInput(many=True, required=False, max_length=MAX_VALUES)
    addresses = AddressInput(many=True, required=False, max_length=MAX_VALUES)
    external_id = serializers.CharField(max_length=200, required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=100)
    custom_fields = serializers.DictField(required=False)
    notes = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    consents = ConsentInput(many=True, required=False, max_length=20)

    def validate(self, data):
        if not self.partial and not self.context.get("patch") and not any(data.get(f) for f in ("given_name", "family_name", "emails", "phones",
                                                                "external_id")):
            raise serializers.ValidationError("A person needs at least a name, an email, a phone or an external_id.")
        return data


def validate_people(records: list, prefix: str = "records") -> tuple[dict, dict]:
    """Validate many records: ({index: person}, {index: {"records[3].emails[0].address": [messages]}})."""
    from api.errors import flatten_fields

    from rest_framework.exceptions import ValidationError

    people, errors = {}, {}
    serializer = PersonInput()  # one instance: its fields are built once, not per record
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            errors[index] = {f"{prefix}[{index}]": ["must be an object"]}
            continue
        try:
            people[index] = serializer.run_validation(record)
        except ValidationError as exc:
            errors[index] = flatten_fields(exc.detail, f"{prefix}[{index}]")
    return people, errors
