"""OSDI records (HAL+JSON) out, OSDI people in.

Output goes through contacts.sharing.contact_view, the one masking rule: an OSDI client never sees more of a
person than the same key sees on /api/v1/. Input is translated into the person shape of contacts.inputs and
validated there, so OSDI writes obey the same normalisation, matching and consent rules as every other write;
errors are reported under the OSDI field names the client sent.
"""
import re
from datetime import datetime, timezone

from django.urls import reverse
from rest_framework import serializers

from contacts.inputs import PersonInput

ID_PREFIXES = ("coalition", "action_network")  # clients parse the id after "action_network:" (parsons, osdi)

# OSDI email statuses -> the consent they record (None: no consent change; bounces are not consent)
EMAIL_STATUSES = {"subscribed": "opt_in", "unsubscribed": "opt_out", "spam complaint": "opt_out",
                  "previous spam complaint": None, "bouncing": None, "previous bounce": None}
PHONE_STATUSES = {"subscribed": "opt_in", "unsubscribed": "opt_out"}
CONSENT_STATUS = {"opt_in": "subscribed", "opt_out": "unsubscribed"}


def osdi_date(value) -> str | None:
    """UTC to the second, as Action Network writes dates (from a datetime or an ISO 8601 string)."""
    if not value:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def identifiers(pk) -> list[str]:
    return [f"{prefix}:{pk}" for prefix in ID_PREFIXES]


def href(request, path: str) -> str:
    return request.build_absolute_uri(reverse("osdi:root") + path)


def _channel_status(view: dict, channel: str) -> str | None:
    """What applies to the caller on a channel, from the consents it may see: an opt-out at either scope wins."""
    statuses = {c["status"] for c in view["consents"] if c["channel"] == channel}
    return "opt_out" if "opt_out" in statuses else ("opt_in" if "opt_in" in statuses else None)


def _with_status(record: dict, status: str | None) -> dict:
    # No consent on record: no status, rather than inventing "subscribed" or an opt-out that never happened.
    if status:
        record["status"] = CONSENT_STATUS[status]
    return record


def person_links(request, pk) -> dict:
    return {"self": {"href": href(request, f"people/{pk}")},
            "osdi:taggings": {"href": href(request, f"people/{pk}/taggings")},
            "osdi:attendances": {"href": href(request, f"people/{pk}/attendances")},
            "osdi:signatures": {"href": href(request, f"people/{pk}/signatures")},
            "osdi:submissions": {"href": href(request, f"people/{pk}/submissions")}}


def person_record(request, view: dict) -> dict:
    """An OSDI person from the caller's contact_view (contacts.sharing.render_contacts)."""
    email_status, sms_status = _channel_status(view, "email"), _channel_status(view, "sms")
    addresses = []
    for a in view["addresses"]:
        address = {"primary": a["primary"], "address_lines": [line for line in (a["line1"], a["line2"]) if line],
                   "locality": a["city"], "region": a["state"], "postal_code": a["postal_code"], "country": "US"}
        if a["latitude"] is not None:
            address["location"] = {"latitude": a["latitude"], "longitude": a["longitude"],
                                   "accuracy": "Rooftop" if a["precision"] == "exact" else "Approximate"}
        addresses.append(address)
    return {
        "identifiers": identifiers(view["id"]),
        "created_date": osdi_date(view["created_at"]),
        "modified_date": osdi_date(view["modified_at"]),
        "given_name": view["given_name"],
        "family_name": view["family_name"],
        "languages_spoken": [view["language"]] if view["language"] else [],
        "email_addresses": [_with_status({"address": e["address"], "primary": e["primary"]}, email_status)
                            for e in view["emails"]],
        "phone_numbers": [_with_status({"number": p["number"], "primary": p["primary"],
                                        "number_type": "Mobile" if p["type"] == "mobile" else "Other"}, sms_status)
                          for p in view["phones"]],
        "postal_addresses": addresses,
        "custom_fields": view["custom_fields"],
        "_links": person_links(request, view["id"]),
    }


def tag_record(request, tag) -> dict:
    return {
        "identifiers": identifiers(tag.pk),
        "created_date": osdi_date(tag.created_at),
        "modified_date": osdi_date(tag.created_at),
        "name": tag.name,
        "_links": {"self": {"href": href(request, f"tags/{tag.pk}")},
                   "osdi:taggings": {"href": href(request, f"tags/{tag.pk}/taggings")}},
    }


def tagging_record(request, tagging) -> dict:
    """A tagging is named by its tag and person (one tagging per pair), so no sequential id is ever exposed."""
    return {
        "identifiers": identifiers(tagging.contact_id),
        "created_date": osdi_date(tagging.created_at),
        "modified_date": osdi_date(tagging.created_at),
        "item_type": "osdi:person",
        "_links": {"self": {"href": href(request, f"tags/{tagging.tag_id}/taggings/{tagging.contact_id}")},
                   "osdi:tag": {"href": href(request, f"tags/{tagging.tag_id}")},
                   "osdi:person": {"href": href(request, f"people/{tagging.contact_id}")}},
    }


# ---- input ---------------------------------------------------------------------------------------------------

class _Consentable(serializers.Serializer):
    primary = serializers.BooleanField(default=False)
    consent_text = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                         help_text="extension: the exact consent text shown; needed to undo an "
                                                   "opt-out with a 'subscribed' status")


class OsdiEmail(_Consentable):
    address = serializers.CharField(max_length=254)
    status = serializers.ChoiceField(choices=list(EMAIL_STATUSES), required=False)


class OsdiPhone(_Consentable):
    number = serializers.CharField(max_length=64)
    number_type = serializers.CharField(max_length=20, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=list(PHONE_STATUSES), required=False)


class OsdiLocation(serializers.Serializer):
    latitude = serializers.FloatField(required=False, allow_null=True, default=None)
    longitude = serializers.FloatField(required=False, allow_null=True, default=None)


class OsdiAddress(serializers.Serializer):
    primary = serializers.BooleanField(default=False)
    address_lines = serializers.ListField(child=serializers.CharField(max_length=200, allow_blank=True),
                                         required=False, max_length=3, default=list)
    locality = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    location = OsdiLocation(required=False)


class OsdiPerson(serializers.Serializer):
    """The OSDI person fields the coalition stores; other fields clients send are ignored."""

    given_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    family_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email_addresses = OsdiEmail(many=True, required=False, max_length=20)
    phone_numbers = OsdiPhone(many=True, required=False, max_length=20)
    postal_addresses = OsdiAddress(many=True, required=False, max_length=20)
    languages_spoken = serializers.ListField(child=serializers.CharField(max_length=16), required=False,
                                             max_length=10)
    custom_fields = serializers.DictField(required=False)


_RENAMES = [(r"^emails", "email_addresses"), (r"^phones", "phone_numbers"), (r"^addresses", "postal_addresses"),
            (r"\.line[12]$", ".address_lines"), (r"\.city$", ".locality"), (r"\.state$", ".region"),
            (r"^language$", "languages_spoken"), (r"^tags", "add_tags")]


def _osdi_field_names(detail, prefix: str) -> dict:
    from api.errors import flatten_fields
    out = {}
    for name, messages in flatten_fields(detail).items():
        for pattern, replacement in _RENAMES:
            name = re.sub(pattern, replacement, name)
        out[f"{prefix}{name}" if name != "non_field_errors" else (prefix.rstrip(".") or name)] = messages
    return out


def _consent(channel: str, entries: list[dict], mapping: dict) -> list[dict]:
    """At most one consent per channel from the statuses sent; an opt-out among them wins."""
    wanted = [(mapping[e["status"]], e["consent_text"]) for e in entries if mapping.get(e.get("status"))]
    if not wanted:
        return []
    status = "opt_out" if any(s == "opt_out" for s, _ in wanted) else "opt_in"
    text = next((t for s, t in wanted if s == status and t), "")
    return [{"channel": channel, "scope": "organization", "status": status, "source": "api", "text": text}]


def person_input(data, *, prefix: str = "", update: bool = False, add_tags=None) -> dict:
    """Validate an OSDI person and return it in the validated shape of contacts.inputs.PersonInput."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({prefix.rstrip(".") or "non_field_errors": ["Expected a JSON object."]})
    osdi = OsdiPerson(data=data)
    if not osdi.is_valid():
        raise serializers.ValidationError(_osdi_field_names(osdi.errors, prefix))
    given = osdi.validated_data
    person = {k: given[k] for k in ("given_name", "family_name", "custom_fields") if k in given}
    if given.get("languages_spoken"):
        person["language"] = given["languages_spoken"][0]
    emails, phones = given.get("email_addresses", []), given.get("phone_numbers", [])
    if emails:
        person["emails"] = [{"address": e["address"], "primary": e["primary"]} for e in emails]
    if phones:
        person["phones"] = [{"number": p["number"], "primary": p["primary"],
                             **({"type": "mobile"} if p.get("number_type", "").lower() in ("mobile", "cell")
                                else {})} for p in phones]
    if given.get("postal_addresses"):
        person["addresses"] = [{
            "line1": (a["address_lines"] + [""])[0], "line2": " ".join(a["address_lines"][1:]),
            "city": a["locality"], "state": a["region"], "postal_code": a["postal_code"],
            "latitude": (a.get("location") or {}).get("latitude"),
            "longitude": (a.get("location") or {}).get("longitude"), "primary": a["primary"]}
            for a in given["postal_addresses"]]
    consents = _consent("email", emails, EMAIL_STATUSES) + _consent("sms", phones, PHONE_STATUSES)
    if consents:
        person["consents"] = consents
    if add_tags:
        person["tags"] = add_tags
    # an update names its person by id, so it may carry only, say, custom fields
    checked = PersonInput(data=person, context={"patch": update})
    if not checked.is_valid():
        raise serializers.ValidationError(_osdi_field_names(checked.errors, prefix))
    return checked.validated_data


def tag_names(value, field: str) -> list[str]:
    field_ = serializers.ListField(child=serializers.CharField(max_length=100), max_length=100)
    try:
        return field_.run_validation(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({field: exc.detail}) from None
