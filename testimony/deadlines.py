"""Hearing deadlines and reminder times, computed in the hearing's local time and returned in UTC (pure).

Connecticut committees close online registration at 3:00 PM (America/New_York) the day before the hearing.
"The day before" is a calendar day in local time, so the result is right on both sides of a daylight-saving
change (the UTC offset of the deadline can differ from the hearing's own).
"""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DEFAULT_TZ = "America/New_York"
REGISTRATION_CLOSES_AT = time(15, 0)
#: reminders before each deadline: (name, how to get the reminder time from the deadline)
REMINDERS = ("day_before", "three_hours_before")


def _local(moment: datetime, tz: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("aware datetimes only")
    return moment.astimezone(ZoneInfo(tz))


def at_local_time_day_before(moment: datetime, at: time | None = None, tz: str = DEFAULT_TZ) -> datetime:
    """The previous local calendar day at `at` (default: the same wall-clock time), in UTC."""
    local = _local(moment, tz)
    wall = at or local.time().replace(tzinfo=None)
    day = local.date() - timedelta(days=1)
    return datetime.combine(day, wall, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def default_registration_deadline(starts_at: datetime, tz: str = DEFAULT_TZ) -> datetime:
    """3:00 PM local time on the day before the hearing, in UTC."""
    return at_local_time_day_before(starts_at, REGISTRATION_CLOSES_AT, tz)


def reminder_times(deadline: datetime, tz: str = DEFAULT_TZ) -> dict[str, datetime]:
    """When to remind before a deadline: the same local time a day before, and three hours before."""
    return {"day_before": at_local_time_day_before(deadline, None, tz),
            "three_hours_before": deadline.astimezone(timezone.utc) - timedelta(hours=3)}
