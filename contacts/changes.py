"""The change feed: every contact write ends in `record_change` / `write_changes` (which marks the rows that
contacts.notify turns into webhooks), and partners read it back in `seq` order with `feed_page`.

Two transaction-level advisory locks per coalition, both held until commit:
- The feed lock (`_feed_locks`). A bigserial is handed out when a row is inserted, not when it commits, so with
  free-running writers seq 11 could become visible before seq 10, and a reader that had moved its cursor past 11
  would never see 10. `write_changes` takes this lock just before it draws seqs, as late in the transaction as
  it can: within a coalition, change rows are numbered in commit order, so a reader never finds a gap that fills
  later, and writers queue on it only for their last statements and commit.
- The write lock (`lock_coalition`), for race-free matching and read-modify-write of contacts. Bulk pages,
  merges, erasure, consent and link changes take it exclusively. A small upsert (a form, a signup, an API
  create) takes it shared with a lock per matching key (external id, email, mobile number) and per contact it
  reads (`lock_keys`): two requests cannot both create the same email or both rewrite one contact from a stale
  read, yet writes about different people run side by side.

What a reader sees: each row is rendered with the contact's *current* state through contacts.sharing.contact_view;
a contact the reader may no longer see (its link deleted, consent to share withdrawn, merged or erased) comes as
`deleted` (or `merged` with the survivor's id) with no data, so a follower ends with what a full listing shows.
"""
import hashlib
import threading
from contextlib import contextmanager

from django.db import connection, transaction

from organizations import rawsql

from .models import Contact, ContactChange
from .notify import notify_after_commit, partner_subscribers
from .pgcopy import RowWriter, build

_LOCK_NAMESPACE = 0x436F6E74  # "Cont"
_FEED_NAMESPACE = 0x46656564  # "Feed"


def _lock_key(coalition_id, namespace: int = _LOCK_NAMESPACE) -> int:
    value = (coalition_id.int if hasattr(coalition_id, "int") else int(str(coalition_id).replace("-", ""), 16))
    return (value ^ namespace) & 0x7FFFFFFFFFFFFFFF


def _key_lock(*parts) -> int:
    """A signed 64-bit advisory lock key for a matching key or a contact (a collision only serialises more)."""
    return int.from_bytes(hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest(), "big",
                          signed=True)


_LOCKS = rawsql.Prepared("advisory_locks", (
    "SELECT CASE WHEN l.shared THEN pg_advisory_xact_lock_shared(l.key) ELSE pg_advisory_xact_lock(l.key) END "
    "FROM unnest(%(keys)s::bigint[], %(shared)s::boolean[]) WITH ORDINALITY AS l(key, shared, n) ORDER BY l.n"))
_TRY_LOCKS = rawsql.Prepared("advisory_try_locks", (
    "SELECT bool_and(pg_try_advisory_xact_lock(k)) FROM unnest(%(keys)s::bigint[]) AS k"))


def _lock_params(shared=(), exclusive=()) -> dict:
    """_LOCKS' parameters: the shared locks, then the exclusive ones, each group in key order (two writers never
    wait for each other crosswise)."""
    shared, exclusive = sorted(set(shared)), sorted(set(exclusive))
    return {"keys": shared + exclusive, "shared": [True] * len(shared) + [False] * len(exclusive)}


def _advisory(shared=(), exclusive=()) -> None:
    """Transaction-level advisory locks on these keys, in one statement (see _lock_params)."""
    if not connection.in_atomic_block:
        raise RuntimeError("contact write locks must be taken inside transaction.atomic()")
    with connection.cursor() as cursor:
        _LOCKS.execute(cursor, _lock_params(shared, exclusive))


def lock_coalition(coalition_id, shared: bool = False) -> None:
    """The coalition's write lock, until the surrounding transaction ends: exclusive serialises every contact
    write of the coalition; shared (as `lock_keys` takes it) only keeps out the exclusive ones."""
    if shared:
        _advisory(shared=[_lock_key(coalition_id)])
    else:
        _advisory(exclusive=[_lock_key(coalition_id)])


def lock_keys(coalition_id, keys) -> None:
    """The coalition's shared write lock and exclusive locks on these matching keys or contact ids of it, in one
    statement."""
    with connection.cursor() as cursor:
        cursor.execute(lock_keys_statement(cursor, coalition_id, keys))


def lock_keys_statement(cursor, coalition_id, keys) -> str:
    """`lock_keys` as SQL text, for a caller that sends it ahead of its first read in one round trip (that read, a
    statement of its own, then runs under the locks and sees what was committed before they were granted)."""
    if not connection.in_atomic_block:
        raise RuntimeError("contact write locks must be taken inside transaction.atomic()")
    return _LOCKS.mogrify(cursor, _lock_params(shared=[_lock_key(coalition_id)],
                                               exclusive={_key_lock(coalition_id, *key) for key in keys}))


def lock_contacts(coalition_id, contact_ids) -> bool:
    """Exclusive locks on these contacts (as `lock_keys` names them), the shared write lock held already; False
    when one was held by another writer (so what the caller read before may be stale: read again, now under the
    lock)."""
    keys = sorted({_key_lock(coalition_id, "contact", pk) for pk in contact_ids})
    if not keys:
        return True
    with connection.cursor() as cursor:
        _TRY_LOCKS.execute(cursor, {"keys": keys})
        if cursor.fetchone()[0]:
            return True
    _advisory(exclusive=keys)
    return False


def lock_contact(contact) -> None:
    """The write lock for a change to one contact: shared for the coalition, exclusive for the contact."""
    lock_keys(contact.coalition_id, [("contact", contact.pk)])


def _feed_locks(cursor, coalition_ids) -> str:
    """The statement that takes these coalitions' shared write locks (no-ops under a writer's own) and then their
    feed locks, after which seqs drawn until the commit are in commit order."""
    return _LOCKS.mogrify(cursor, _lock_params(shared={_lock_key(c) for c in coalition_ids},
                                               exclusive={_lock_key(c, _FEED_NAMESPACE) for c in coalition_ids}))


def new_change(contact: Contact, kind: str, organization=None, **details) -> ContactChange:
    return build(ContactChange, coalition_id=contact.coalition_id, contact_id=contact.pk, kind=kind,
                 organization=organization, details=details)


def write_changes(changes: list[ContactChange], subscribers: list | None = None,
                  writer: RowWriter | None = None) -> None:
    """Append change rows (under the coalitions' write lock, shared at least, and their feed lock), marked for
    contacts.notify when a partner subscribes to contact webhooks.
    `subscribers`: partner_subscribers() of the changes' coalitions, read by a caller before it took the lock.
    `writer`: the caller's pending writes, sent with the change rows (one round trip for a single upsert)."""
    writer = writer or RowWriter()
    held = getattr(_held_back, "changes", None)
    if not changes or held is not None:
        writer.send()
        if changes and held is not None:
            held.append((changes, subscribers))
        return
    with transaction.atomic(savepoint=False):  # inside a caller's transaction: no savepoint round trips
        coalitions = sorted({str(c.coalition_id) for c in changes})
        if subscribers is None:
            subscribers = partner_subscribers(coalitions)
        if subscribers:  # contacts.notify turns them into webhooks after the commit
            for change in changes:
                change.notify = True
            notify_after_commit(coalitions)
        with connection.cursor() as cursor:  # sent after the caller's writes: the feed lock is held the least
            writer.statement(_feed_locks(cursor, coalitions))
        writer.insert(ContactChange, changes)
        writer.send()


_held_back = threading.local()


@contextmanager
def changes_at_the_end():
    """Hold back the change rows (and their webhooks) of the contact writes in this block and write them as it
    ends without an error: a caller that does more work after a contact upsert in the same transaction (a form
    submission) keeps the feed lock only for those rows and its commit. Nested blocks leave it to the outermost."""
    if getattr(_held_back, "changes", None) is not None:
        yield
        return
    _held_back.changes, _held_back.statements = [], []
    try:
        yield
        held, _held_back.changes = _held_back.changes, None
        writer = RowWriter()
        for sql in _held_back.statements:
            writer.statement(sql)
        if held:  # in one write: each batch's subscribers are those of its coalition, so their union is the whole's
            write_changes([change for changes, _ in held for change in changes],
                          list({org.pk: org for _, subscribers in held for org in subscribers}.values())
                          if all(subscribers is not None for _, subscribers in held) else None, writer)
        writer.send()
    finally:
        _held_back.changes = _held_back.statements = None


def at_the_end(sql: str) -> bool:
    """Hold a statement of the caller's (complete SQL text) to be sent with the change rows held back by the
    enclosing changes_at_the_end, before them, in its last round trip; False when there is none (the caller sends
    it itself)."""
    if getattr(_held_back, "statements", None) is None:
        return False
    _held_back.statements.append(sql)
    return True


def record_change(contact: Contact, kind: str, organization=None, **details) -> None:
    write_changes([new_change(contact, kind, organization, **details)])


# ---- reading ---------------------------------------------------------------------------------------------

MAX_PAGE = 1000


# One statement per page, in plain SQL: the ORM built the page's queries for ~2.5 ms of CPU a page, about what
# PostgreSQL spent running them. The page's rows come first, behind a MATERIALIZED CTE with the page's LIMIT, so
# visibility is probed by primary key for those rows only (a plan for every change after the cursor would hash every
# visible contact of the coalition: O(coalition) per page). Not prepared: a generic plan would not know the LIMIT.
# `visible` is Contact.objects.visible_to's rule again; tests/contacts/test_feed.py holds it to visible_to case by
# case.
_FEED_PAGE_SQL = """
    WITH page AS MATERIALIZED (
        SELECT seq, contact_id, kind, details FROM contacts_contactchange
        WHERE coalition_id = %(coalition)s AND seq > %(after)s
          AND (organization_id IS NULL OR organization_id = %(organization)s)
        ORDER BY seq LIMIT %(limit)s)
    SELECT p.seq, p.contact_id::text, p.kind,
           EXISTS (SELECT 1 FROM contacts_contact c
                   WHERE c.id = p.contact_id AND c.coalition_id = %(coalition)s
                     AND c.merged_into_id IS NULL AND c.erased_at IS NULL
                     AND (c.coalition_shared OR EXISTS (SELECT 1 FROM contacts_organizationcontact l
                                                        WHERE l.contact_id = c.id
                                                          AND l.organization_id = %(organization)s))),
           (p.details -> 'unshared') = 'true'::jsonb
    FROM page p ORDER BY p.seq"""


def feed_page(organization, after: int = 0, limit: int = 500) -> tuple[list[dict], int, bool]:
    """(events, next cursor, more) for `organization`, after the change `after`."""
    from .sharing import gc_paused, render_contacts

    limit = max(1, min(MAX_PAGE, limit))
    with connection.cursor() as cursor:
        cursor.execute(_FEED_PAGE_SQL, {"coalition": organization.coalition_id, "after": after,
                                        "organization": organization.pk, "limit": limit + 1})
        rows = cursor.fetchall()  # (seq, contact id, kind, visible, unshared)
    more = len(rows) > limit
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
