"""The change feed: every contact write ends in `record_change` / `write_changes` (the one place where a future
webhook emit belongs), and partners read it back in `seq` order with `feed_page`.

Commit order. A bigserial is handed out when a row is inserted, not when it commits, so with free-running writers
seq 11 could become visible before seq 10, and a reader that had moved its cursor past 11 would never see 10.
Every writer of ContactChange therefore first takes the coalition's transaction-level advisory lock
(`lock_coalition`), held until commit: within a coalition, change rows are numbered in commit order, so a reader
never finds a gap that fills later. The same lock makes matching race-free (two requests cannot both create the
same email). Writers hold it for the database part of a write only (validation happens before).

What a reader sees: each row is rendered with the contact's *current* state through contacts.sharing.contact_view;
a contact the reader may no longer see (its link deleted, consent to share withdrawn, merged or erased) comes as
`deleted` (or `merged` with the survivor's id) with no data, so a follower ends with what a full listing shows.
"""
from django.db import connection, transaction
from django.db.models import BooleanField, CharField, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.functions import Cast

from .models import Contact, ContactChange
from .pgcopy import RowWriter, build

_LOCK_NAMESPACE = 0x436F6E74  # "Cont"


def _lock_key(coalition_id) -> int:
    value = (coalition_id.int if hasattr(coalition_id, "int") else int(str(coalition_id).replace("-", ""), 16))
    return (value ^ _LOCK_NAMESPACE) & 0x7FFFFFFFFFFFFFFF


def lock_coalition(coalition_id) -> None:
    """Serialise contact writes of one coalition until the surrounding transaction ends."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_coalition must run inside transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(coalition_id)])


def new_change(contact: Contact, kind: str, organization=None, **details) -> ContactChange:
    return build(ContactChange, coalition_id=contact.coalition_id, contact_id=contact.pk, kind=kind,
                 organization=organization, details=details)


def write_changes(changes: list[ContactChange], subscribers: list | None = None,
                  writer: RowWriter | None = None) -> None:
    """Append change rows (the caller holds the coalition lock, or this takes it) and tell subscribed partners.
    `subscribers`: partner_subscribers() of the changes' coalitions, read by a caller before it took the lock.
    `writer`: the caller's pending writes, sent with the change rows (one round trip for a single upsert)."""
    writer = writer or RowWriter()
    if not changes:
        writer.send()
        return
    with transaction.atomic(savepoint=False):  # inside a caller's transaction: no savepoint round trips
        for coalition_id in sorted({str(c.coalition_id) for c in changes}):
            lock_coalition(coalition_id)
        writer.insert(ContactChange, changes)
        writer.send()
        notify_partners(changes, subscribers)


WEBHOOK_EVENTS = {"created": "contact.created", "updated": "contact.updated", "merged": "contact.merged",
                  "deleted": "contact.deleted"}


def partner_subscribers(coalition_ids) -> list:
    """Organizations of these coalitions with an active endpoint for contact or consent webhooks."""
    from webhooks.services import coalition_subscribers

    return coalition_subscribers(coalition_ids, [*WEBHOOK_EVENTS.values(), "consent.changed"])


def notify_partners(changes: list[ContactChange], subscribers: list | None = None) -> None:
    """Webhooks for contact changes, each rendered through the same masking as the API (contact_view): an
    organization that may not see the contact gets nothing, except the bare id of a deletion or merge."""
    from webhooks.services import emit

    from .sharing import render_contacts

    if subscribers is None:
        subscribers = partner_subscribers(c.coalition_id for c in changes)
    if not subscribers:  # the common case costs one indexed query
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


def record_change(contact: Contact, kind: str, organization=None, **details) -> None:
    write_changes([new_change(contact, kind, organization, **details)])


# ---- reading ---------------------------------------------------------------------------------------------

MAX_PAGE = 1000


def feed_page(organization, after: int = 0, limit: int = 500) -> tuple[list[dict], int, bool]:
    """(events, next cursor, more) for `organization`, after the change `after`."""
    from .sharing import gc_paused, render_contacts

    limit = max(1, min(MAX_PAGE, limit))
    changes = (ContactChange.objects.filter(coalition_id=organization.coalition_id, seq__gt=after)
               .filter(Q(organization__isnull=True) | Q(organization=organization)).order_by("seq"))
    # The page's end first: bounded by constants, the page query below is planned for ~`limit` rows, so it probes
    # visible_to per row by primary key (planned for all the changes after the cursor, it would hash every visible
    # contact of the coalition: O(coalition) per page).
    end = list(changes.values_list("seq", flat=True)[limit:limit + 1])
    if end:
        changes = changes.filter(seq__lt=end[0])
    visible = Contact.objects.visible_to(organization).filter(pk=OuterRef("contact_id"))
    rows = list(changes.annotate(contact_key=Cast("contact_id", CharField()), visible=Exists(visible),
                                 unshared=ExpressionWrapper(Q(details__unshared=True), output_field=BooleanField()))
                .values_list("seq", "contact_key", "kind", "visible", "unshared")[:limit + 1])
    more = bool(end) or len(rows) > limit
    rows = rows[:limit]
    with gc_paused():
        views = render_contacts(organization, [row[1] for row in rows if row[3]])
        survivors = {}
        merged_ids = [row[1] for row in rows if row[2] == "merged" and row[1] not in views]
        if merged_ids:
            survivors = dict(Contact.objects.filter(pk__in=merged_ids).values_list("pk", "merged_into_id"))
            reachable = set(Contact.objects.visible_to(organization).filter(
                pk__in=[s for s in survivors.values() if s]).values_list("pk", flat=True))
            survivors = {str(k): v for k, v in survivors.items() if v in reachable}
        events = []
        for seq, contact_id, kind, _, unshared in rows:
            view = views.get(contact_id)
            if view is not None:
                events.append({"seq": seq, "kind": "updated" if kind in ("deleted", "merged") else kind,
                               "id": contact_id, "contact": view})
            elif kind == "merged" and contact_id in survivors:
                events.append({"seq": seq, "kind": "merged", "id": contact_id, "merged_into": survivors[contact_id],
                               "contact": None})
            elif kind in ("deleted", "merged") or unshared:
                events.append({"seq": seq, "kind": "deleted", "id": contact_id, "contact": None})
    next_cursor = rows[-1][0] if rows else after
    return events, next_cursor, more
