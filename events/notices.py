"""The words of the messages sent about events (subject and body per kind). Registrants get the address and
the virtual link here, which the public listing may hide."""
from zoneinfo import ZoneInfo


def when(event, shift=None) -> str:
    tz = ZoneInfo(event.timezone)
    start, end = (shift or event).starts_at.astimezone(tz), (shift or event).ends_at.astimezone(tz)
    return f"{start:%A %B %-d, %Y, %-I:%M %p} to {end:%-I:%M %p %Z}"


def where(event) -> str:
    if event.is_virtual:
        return f"Online: {event.virtual_url}" if event.virtual_url else "Online"
    parts = [event.venue, event.line1, ", ".join(p for p in (event.city, event.state) if p), event.postal_code]
    return " ".join(p for p in parts if p)


SUBJECTS = {
    "confirmation": "You're registered: {title}",
    "waitlisted": "You're on the waitlist: {title}",
    "promoted": "A place opened up: you're registered for {title}",
    "reminder_day": "Tomorrow: {title}",
    "reminder_two_hours": "Starting soon: {title}",
    "changed": "Changed: {title}",
    "cancelled": "Cancelled: {title}",
    "signup_cancelled": "Your registration is cancelled: {title}",
}

OPENINGS = {
    "confirmation": "Thank you for signing up.",
    "waitlisted": "The event is full for now; we will tell you as soon as a place opens up.",
    "promoted": "Good news: a place opened up and you are now registered.",
    "reminder_day": "A reminder that you are registered for tomorrow.",
    "reminder_two_hours": "A reminder that you are registered; we start in about two hours.",
    "changed": "The details of this event have changed; here they are now.",
    "cancelled": "We are sorry: this event is cancelled.",
    "signup_cancelled": "Your registration has been cancelled. You can sign up again any time.",
}


def render(kind: str, signup) -> tuple[str, str, str]:
    """(subject, email body, text message)."""
    event, shift = signup.event, signup.shift
    name = signup.contact.given_name or "friend"
    lines = [f"Hi {name},", "", OPENINGS[kind], "", event.title, when(event, shift), where(event)]
    if shift is not None:
        lines.append(f"Your shift: {shift.role}" if shift.role else "")
        if shift.instructions and kind not in ("cancelled", "signup_cancelled", "waitlisted"):
            lines += ["", shift.instructions]
    if event.accessibility_notes:
        lines += ["", f"Accessibility: {event.accessibility_notes}"]
    lines += ["", f"{event.host.name}"]
    subject = SUBJECTS[kind].format(title=event.title)
    text = f"{subject}. {when(event, shift)}. {where(event)}"
    return subject, "\n".join(line for line in lines if line is not None), text
