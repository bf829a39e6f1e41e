"""Contact webhooks (contact.created / updated / merged / deleted, consent.changed), emitted by a job that follows
the change feed, not by the request that writes.

A write made while some partner of the coalition subscribes to these events marks its change rows `notify`
(write_changes) and, once committed and its response sent, queues `notify_pending` for the coalition. That job
reads the marked rows after the coalition's cursor in seq order (the feed's commit order), renders each through
the same masking as the API (contacts.sharing.contact_view) for every subscriber that may see it, emits, and
moves the cursor, all in one transaction: run twice or after a crash, it emits each change once. So a write with
subscribers costs the request what one without does (issue 9: at most 10% slower); the price is that a payload
shows the contact as it is when the job renders it, a moment after the write, as the change feed does; every
payload carries `occurred_at` and the envelope a sequence for receivers that order events.
"""
import logging

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from jobs import queues
from organizations.after_response import on_commit_after_response
from organizations.models import Coalition

from .models import Contact, ContactChange, PartnerNotifyCursor

log = logging.getLogger(__name__)

WEBHOOK_EVENTS = {"created": "contact.created", "updated": "contact.updated", "merged": "contact.merged",
                  "deleted": "contact.deleted"}
QUEUE = "high"  # a short job: ahead of the webhooks queue's drains, which may wait on slow receivers
QUEUED_MARKER = "contacts:notify-queued:{}"
MARKER_SECONDS = 3600
BATCH = 500


def partner_subscribers(coalition_ids) -> list:
    """Organizations of these coalitions with an active endpoint for contact or consent webhooks."""
    from webhooks.services import coalition_subscribers

    return coalition_subscribers(coalition_ids, [*WEBHOOK_EVENTS.values(), "consent.changed"])


def notify_after_commit(coalition_ids) -> None:
    """Queue the notifier of these coalitions once the write commits (after its response, inside a request)."""
    on_commit_after_response("contacts.notify", _queue_all, sorted(str(c) for c in coalition_ids))


def _queue_all(coalition_ids) -> None:
    for coalition_id in coalition_ids:
        queue_notify(coalition_id)


def queue_notify(coalition_id) -> None:
    """Queue notify_pending for the coalition unless one is queued and not started yet. Never raises: with Redis
    down the marked rows wait for the next write's job or `notify_due`."""
    try:
        if queues.redis_connection(QUEUE).set(QUEUED_MARKER.format(coalition_id), 1, nx=True, ex=MARKER_SECONDS):
            queues.queue(QUEUE).enqueue("contacts.jobs.notify_partners", str(coalition_id), result_ttl=0)
    except Exception:
        log.exception("could not queue the contact webhooks of coalition %s", coalition_id)


def notify_pending(coalition_id) -> int:
    """Emit the webhooks of the coalition's marked changes after its cursor; returns how many changes."""
    queues.redis_connection(QUEUE).delete(QUEUED_MARKER.format(coalition_id))  # later writes queue another run
    total = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:  # one cursor row per coalition, locked: one notifier at a time
                cursor.execute(f"INSERT INTO {PartnerNotifyCursor._meta.db_table} (coalition_id, seq) "
                               "VALUES (%s, 0) ON CONFLICT DO NOTHING", [coalition_id])
            position = PartnerNotifyCursor.objects.select_for_update().get(coalition_id=coalition_id)
            changes = list(ContactChange.objects.filter(coalition_id=coalition_id, notify=True,
                                                        seq__gt=position.seq).order_by("seq")[:BATCH])
            if not changes:
                return total
            notify_partners(changes, partner_subscribers([coalition_id]))
            position.seq = changes[-1].seq
            position.save(update_fields=["seq"])
        total += len(changes)


def notify_due() -> int:
    """Queue the notifier of every coalition with marked changes past its cursor (those a lost wake-up left):
    one probe of the contact_change_notify index per coalition."""
    position = PartnerNotifyCursor.objects.filter(coalition_id=OuterRef(OuterRef("pk"))).values("seq")
    waiting = ContactChange.objects.filter(coalition_id=OuterRef("pk"), notify=True,
                                           seq__gt=Coalesce(Subquery(position), 0))
    coalitions = list(Coalition.objects.filter(Exists(waiting)).values_list("pk", flat=True))
    for coalition_id in coalitions:
        queue_notify(coalition_id)
    return len(coalitions)


def notify_partners(changes: list[ContactChange], subscribers: list) -> None:
    """Webhooks for contact changes, each rendered through the same masking as the API (contact_view): an
    organization that may not see the contact gets nothing, except the bare id of a deletion or merge."""
    from webhooks.services import emit

    from .sharing import render_contacts

    if not subscribers:
        return
    ids = {c.contact_id for c in changes}
    views = {org.pk: render_contacts(org, Contact.objects.visible_to(org).filter(pk__in=ids)
                                     .values_list("pk", flat=True)) for org in subscribers}

    def render_for(change):
        def render(org):
            if change.organization_id and change.organization_id != org.pk:
                return None
            view = views[org.pk].get(change.contact_id)
            if change.kind in ("deleted", "merged"):
                return {"id": change.contact_id, "merged_into": change.details.get("into"),
                        "occurred_at": change.created_at}
            return None if view is None else {"contact": view, "occurred_at": change.created_at}
        return render

    for change in changes:
        emit(event_type=WEBHOOK_EVENTS[change.kind], audience=subscribers, render=render_for(change))
        for consent in change.details.get("consents", []):
            emit(event_type="consent.changed", audience=subscribers,
                 render=lambda org, change=change, consent=consent: _consent_payload(change, consent, org, views))


def _consent_payload(change, consent: dict, org, views) -> dict | None:
    """Coalition-scope consents go to whoever sees the contact; organization-scope ones only to their owner."""
    if change.contact_id not in views[org.pk]:
        return None
    if consent["scope"] == "organization" and consent["organization"] != str(org.pk):
        return None
    shown = {k: v for k, v in consent.items() if k != "organization"}
    return {"contact_id": change.contact_id, "consent": shown, "occurred_at": change.created_at}
