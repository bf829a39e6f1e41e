"""Validation of what a person typed into a form, with messages in the page's language (Django i18n).

Input is one flat dict, the same from the HTML page and the JSON endpoint: standard fields, `story`,
`answers` {question key: value}, `consent_email` / `consent_sms` / `consent_coalition` booleans, the token,
the honeypot (`website`), `ref`, utm_* and `referrer`. Every value's length is bounded here.
"""
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from contacts.normalize import InvalidValue, normalize_email, parse_phone

from .models import CONSENT_KINDS, Kind

LIMITS = {"given_name": 100, "family_name": 100, "email": 254, "phone": 40, "postal_code": 10,
          "address_line1": 200, "address_line2": 200, "city": 100, "state": 2, "story": 5000, "ref": 40,
          "utm_source": 200, "utm_medium": 200, "utm_campaign": 200, "utm_term": 200, "utm_content": 200,
          "referrer": 1000, "website": 200, "lang": 5}
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
TEXT_ANSWER_MAX = 2000
MAX_QUESTIONS = 30
TRUE = {"1", "true", "on", "yes", True, 1}


def field_labels() -> dict:
    return {"given_name": _("First name"), "family_name": _("Last name"), "email": _("Email"),
            "phone": _("Mobile phone"), "postal_code": _("ZIP code"), "address_line1": _("Street address"),
            "address_line2": _("Apartment, unit (optional)"), "city": _("City"), "state": _("State"),
            "story": _("Your story")}


@dataclass
class Cleaned:
    values: dict = field(default_factory=dict)      # standard fields and story, stripped
    answers: dict = field(default_factory=dict)     # question key -> value
    consents: dict = field(default_factory=dict)    # email / sms / coalition -> bool
    attribution: dict = field(default_factory=dict)  # ref, utm_*, referrer
    email_normalized: str = ""
    phone: object = None


def all_questions(form) -> list[dict]:
    """The form's own questions, plus what its kind adds (a testimony form: mode and a position per bill)."""
    if form.kind == Kind.TESTIMONY:
        from .testimony import hearing_questions
        return hearing_questions(form) + list(form.questions or [])
    if form.kind == Kind.EVENT_RSVP:
        from .rsvp import event_questions
        return event_questions(form) + list(form.questions or [])
    return list(form.questions or [])


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    return value.strip() if isinstance(value, str) else None


def validate_submission(form, data: dict) -> tuple[Cleaned, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    cleaned = Cleaned()

    def error(name, message):
        errors.setdefault(name, []).append(message)

    def text(name, limit=None):
        value = as_text(data.get(name))
        if value is None:
            error(name, _("Enter text here."))
            return ""
        if len(value) > (limit or LIMITS[name]):
            error(name, _("Use at most %(limit)d characters.") % {"limit": limit or LIMITS[name]})
            return ""
        return value

    modes = form.standard_fields or {}
    wanted = []
    for name in ("given_name", "family_name", "email", "phone", "postal_code"):
        if modes.get(name, "hidden") != "hidden":
            wanted.append((name, modes[name] == "required"))
    if modes.get("address", "hidden") != "hidden":
        required = modes["address"] == "required"
        wanted += [("address_line1", required), ("address_line2", False), ("city", required), ("state", required)]
        if modes.get("postal_code", "hidden") == "hidden":
            wanted.append(("postal_code", required))
    if form.kind == Kind.STORY:
        wanted.append(("story", True))
    for name, required in wanted:
        value = text(name)
        if required and not value and name not in errors:
            error(name, _("This field is required."))
        cleaned.values[name] = value

    if cleaned.values.get("email"):
        try:
            cleaned.email_normalized = normalize_email(cleaned.values["email"])
        except InvalidValue:
            error("email", _("Enter a valid email address, like name@example.com."))
    if cleaned.values.get("phone"):
        try:
            cleaned.phone = parse_phone(cleaned.values["phone"])
        except InvalidValue:
            error("phone", _("Enter a valid US phone number, like 860-555-0123."))
    postal = cleaned.values.get("postal_code")
    if postal and not (len(postal) in (5, 10) and postal[:5].isdigit() and (len(postal) == 5 or (
            postal[5] == "-" and postal[6:].isdigit()))):
        error("postal_code", _("Enter a 5-digit ZIP code."))
    state = cleaned.values.get("state")
    if state:
        cleaned.values["state"] = state.upper()
        if len(state) != 2 or not state.isalpha():
            error("state", _("Enter the two-letter state, like CT."))

    answers = data.get("answers") or {}
    if not isinstance(answers, dict) or len(answers) > MAX_QUESTIONS:
        answers = {}
        error("answers", _("The answers could not be read."))
    for question in all_questions(form)[:MAX_QUESTIONS]:
        key, kind = question["key"], question.get("type", "text")
        name = f"answers.{key}"
        raw = answers.get(key)
        if kind == "checkbox":
            value = raw in TRUE or (isinstance(raw, str) and raw.strip().lower() in TRUE)
            if question.get("required") and not value:
                error(name, _("Tick this box to continue."))
        else:
            value = as_text(raw)
            if value is None:
                error(name, _("Enter text here."))
                continue
            limit = min(int(question.get("max_length") or TEXT_ANSWER_MAX), TEXT_ANSWER_MAX)
            if len(value) > limit:
                error(name, _("Use at most %(limit)d characters.") % {"limit": limit})
                continue
            if kind == "choice" and value and value not in {c["value"] for c in question.get("choices", [])}:
                error(name, _("Choose one of the options."))
                continue
            if question.get("required") and not value:
                error(name, _("This field is required.") if kind == "text" else _("Choose one of the options."))
                continue
        cleaned.answers[key] = value

    for kind in CONSENT_KINDS:
        mode = getattr(form, f"{kind}_consent")
        raw = data.get(f"consent_{kind}")
        given = mode != "hidden" and (raw in TRUE or (isinstance(raw, str) and raw.strip().lower() in TRUE))
        if mode == "required" and not given:
            error(f"consent_{kind}", _("You need to agree to this to take part."))
        cleaned.consents[kind] = given
    if cleaned.consents.get("sms") and not cleaned.values.get("phone") and "phone" not in errors:
        error("phone", _("Enter your mobile phone number to get text messages."))
    if not (cleaned.values.get("email") or cleaned.values.get("phone") or cleaned.values.get("given_name")
            or cleaned.values.get("family_name")) and not errors:
        error("email", _("Enter your email address."))

    for name in ("ref", *UTM, "referrer"):
        value = as_text(data.get(name)) or ""
        cleaned.attribution[name] = value[:LIMITS[name]]
    return cleaned, errors
