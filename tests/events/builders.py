"""Building events for tests through the services (the same path as the API)."""
from datetime import timedelta

from django.utils import timezone

from events.services import event_create


def make_event(host, *, days=7, hours=3, shifts=(), co_hosts=(), start=None, **fields):
    """A published coalition event starting in `days` days (on the hour) or at `start`, lasting `hours` hours."""
    start = start or (timezone.now() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    data = {"kind": "rally", "title": "Rally at the Capitol", "starts_at": start,
            "ends_at": start + timedelta(hours=hours), "status": "published", "visibility": "coalition",
            "venue": "Connecticut State Capitol", "line1": "210 Capitol Ave", "city": "Hartford", "state": "CT",
            "postal_code": "06106", "latitude": 41.7640, "longitude": -72.6822, **fields}
    data["shifts"] = [{"role": role, "starts_at": start + timedelta(hours=offset),
                       "ends_at": start + timedelta(hours=offset + length), "capacity": capacity}
                      for role, offset, length, capacity in shifts]
    data["co_hosts"] = [{"organization": org, "sharing": mode} for org, mode in co_hosts]
    return event_create(organization=host, data=data)
