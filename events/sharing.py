"""The one place deciding what an organization sees of an event's signups (issue 5).

- The host sees every signup of its events.
- A co-host with sharing `all` sees every signup; with `recruited` the full records of the people it recruited
  and counts for the rest; with `totals` counts only.
- Any organization sees the full records of the people it recruited itself (it brought them).
Counts (the attendance report) are open to the host and every co-host whatever its mode.
"""
from django.db.models import Exists, OuterRef, Q

from .models import Event, EventCoHost, Sharing


def full_signups_q(organization) -> Q:
    """A filter on Signup: rows `organization` may see in full."""
    co_host = EventCoHost.objects.filter(event=OuterRef("event"), organization=organization)
    return (Q(event__host=organization) | Q(recruited_by=organization) |
            Q(Exists(co_host.filter(sharing=Sharing.ALL))))


def access(event: Event, organization) -> str | None:
    """"all", "recruited" or "totals" for the host and co-hosts; None for anyone else."""
    if event.host_id == organization.pk:
        return Sharing.ALL
    link = EventCoHost.objects.filter(event=event, organization=organization).first()
    return link.sharing if link else None


def may_see_counts(event: Event, organization) -> bool:
    return access(event, organization) is not None


def full_signups(event: Event, organization):
    """This event's signups `organization` may see in full."""
    from .models import Signup
    return Signup.objects.filter(event=event).visible_to(organization)
