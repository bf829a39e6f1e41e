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
        person = _lean_person(record)
        if person is not None:
            people[index] = person
            continue
        try:
            people[index] = serializer.run_validation(record)
        except ValidationError as exc:
            errors[index] = flatten_fields(exc.detail, f"{prefix}[{index}]")
    return people, errors


# ---- a lean path for bulk validation ------------------------------------------------------------------------
# DRF's per-field machinery costs about as much as the upsert itself on a page of 1,000. `_lean_person` builds
# exactly what PersonInput().run_validation(record) returns for the ordinary record (plain strings, booleans,
# lists of objects, no consents), and gives up (None) on anything else -- a wrong type, a blank or too long
# value, a bad email/phone/ZIP, coordinates, consents -- so PersonInput then validates that record and reports
# its errors, with the same messages and field paths as always. tests/contacts/test_lean_inputs.py compares the
# two on ordinary and awkward records.

class _Unusual(Exception):
    pass


def _text(value, max_length: int, allow_blank: bool = False) -> str:
    """serializers.CharField(max_length=..., allow_blank=...) for a str (trimmed; no NUL, no lone surrogate)."""
    if type(value) is not str:
        raise _Unusual
    value = value.strip()
    if not value:
        if not allow_blank:
            raise _Unusual
        return ""
    if len(value) > max_length or "\x00" in value:
        raise _Unusual
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:  # a lone surrogate: ProhibitSurrogateCharactersValidator
            raise _Unusual
    return value


def _flag(item: dict, name: str) -> bool:
    """serializers.BooleanField(default=False), for a JSON boolean or an absent value."""
    value = item.get(name, False)
    if value is not True and value is not False:
        raise _Unusual
    return value


def _items(value, limit: int = MAX_VALUES) -> list:
    if type(value) is not list or len(value) > limit:
        raise _Unusual
    for item in value:
        if type(item) is not dict:
            raise _Unusual
    return value


def _lean_email(item: dict) -> dict:
    address = _text(item.get("address"), 254)
    primary = _flag(item, "primary")
    try:
        normalized = normalize_email(address)
    except InvalidValue:
        raise _Unusual
    return {"address": address, "primary": primary, "normalized": normalized}


_PHONE_TYPES = frozenset(["mobile", "landline", "voip"])


def _lean_phone(item: dict) -> dict:
    number = _text(item.get("number"), 64)
    declared = item.get("type")
    if declared is not None and (type(declared) is not str or declared not in _PHONE_TYPES):
        raise _Unusual
    if declared is None and "type" in item:
        raise _Unusual  # null is not a choice
    primary = _flag(item, "primary")
    try:
        phone = parse_phone(number, declared)
    except InvalidValue:
        raise _Unusual
    return {"raw": number, "number": phone.e164, "type": phone.type, "primary": primary}


_ADDRESS_TEXT = (("line1", 200), ("line2", 200), ("city", 100), ("state", 2), ("postal_code", 10))


def _lean_address(item: dict) -> dict:
    if item.get("latitude") is not None or item.get("longitude") is not None:
        raise _Unusual
    values = {name: _text(item[name], limit, allow_blank=True) if name in item else ""
              for name, limit in _ADDRESS_TEXT}
    primary = _flag(item, "primary")
    try:
        address = parse_address(**values, latitude=None, longitude=None)
    except InvalidValue:
        raise _Unusual
    return {"address": address, "primary": primary}


def _lean_person(record: dict) -> dict | None:
    try:
        out = {}
        for name, limit in (("given_name", 200), ("family_name", 200), ("language", 16)):
            if name in record:
                out[name] = _text(record[name], limit, allow_blank=True)
        for name, parse in (("emails", _lean_email), ("phones", _lean_phone), ("addresses", _lean_address)):
            if name in record:
                out[name] = [parse(item) for item in _items(record[name])]
        if "external_id" in record:
            value = record["external_id"]
            out["external_id"] = None if value is None else _text(value, 200)
        if "tags" in record:
            tags = record["tags"]
            if type(tags) is not list or len(tags) > 100:
                raise _Unusual
            out["tags"] = [_text(tag, 100) for tag in tags]
        if "custom_fields" in record:
            fields = record["custom_fields"]
            if type(fields) is not dict:
                raise _Unusual
            out["custom_fields"] = {str(key): value for key, value in fields.items()}
        if "notes" in record:
            out["notes"] = _text(record["notes"], 20000, allow_blank=True)
        if "consents" in record:
            if record["consents"] != []:
                raise _Unusual
            out["consents"] = []
    except _Unusual:
        return None
    if not any(out.get(f) for f in ("given_name", "family_name", "emails", "phones", "external_id")):
        return None
    return out
