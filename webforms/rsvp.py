"""Event RSVP forms: the shift question an event adds, and the sign-up through events.services.signup_create."""
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _


def event_questions(form) -> list[dict]:
    if form.event_id is None:
        return []
    shifts = list(form.event.shifts.all())
    if not shifts:
        return []
    zone = ZoneInfo(form.event.timezone)

    def label(shift):
        start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
        return f"{shift.role or ''} {start:%a %b %d, %I:%M %p}–{end:%I:%M %p}".strip()
    return [{"key": "shift", "type": "choice", "label": _("Choose a shift"), "required": True,
             "choices": [{"value": str(shift.pk), "label": label(shift)} for shift in shifts]}]


def event_signup(form, contact, organization, cleaned) -> dict:
    """Register the person (waitlisted when full, as the events app decides); an existing signup is kept."""
    from events.services import signup_create

    shift = next((s for s in form.event.shifts.all() if str(s.pk) == cleaned.answers.get("shift")), None)
    attribution = cleaned.attribution
    result = signup_create(event=form.event, organization=organization, contact=contact, shift=shift, source="form",
                           referrer={"url": attribution.get("referrer", ""),
                                     **{k: attribution.get(k, "") for k in ("utm_source", "utm_medium",
                                                                          "utm_campaign", "utm_term", "utm_content")}})
    return {"signup": str(result.signup.pk), "status": result.signup.status}
