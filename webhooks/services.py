"""Webhooks: subscriptions, `emit` (the one call other apps make) and redelivery. Sending lives in delivery.py.

How another app emits an event (inside its write's transaction, after the change is saved):

    from webhooks.services import emit
    emit(event_type="contact.updated", audience=orgs_that_can_see_it,
         render=lambda org: ContactSerializer(contact, context={"organization": org}).data or None)

`audience` is an Organization or an iterable of them; `render(org)` builds the payload as that organization may
see it (the API's visibility and masking rules) or returns None when it may not see it at all. Nothing is sent
before the transaction commits, and nothing is sent on the request path: emit writes a message and a delivery row
per subscribed endpoint, then wakes the `webhooks` rq queue on commit (after the response, inside a request).
Include `modified_at` in payloads; every envelope also carries a global `sequence`, so receivers can drop stale
events. A costly `render` belongs in a job, as contacts' notifier does it, not in the request that writes.
"""
import base64
import json
import logging
import secrets as _secrets
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from jobs import queues
from organizations import rawsql
from organizations.after_response import on_commit_after_response, request_memo
from organizations.errors import Conflict, DomainError
from organizations.models import Organization
from organizations.services import audit_record

from .models import EVENT_TYPES, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookMessage
from .targets import TargetRefused, check_url

log = logging.getLogger(__name__)

QUEUE = "webhooks"
SECRET_PREFIX = "whsec_"
DRAIN_MARKER = "webhooks:drain-queued:{}"
RETRY_MARKER = "webhooks:drain-scheduled:{}"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(32)).decode()


# --- subscriptions ------------------------------------------------------------------------------------------

def _validate(url: str | None, event_types) -> None:
    if url is not None:
        try:
            check_url(url)
        except TargetRefused as exc:
            raise DomainError("invalid_target", str(exc), field="url") from None
    if event_types is not None:
        unknown = sorted(set(event_types) - set(EVENT_TYPES))
        if unknown:
            raise DomainError("unknown_event_type", f"Unknown event types: {', '.join(unknown)}; known: "
                              f"{', '.join(EVENT_TYPES)}", field="event_types")
        if not event_types:
            raise DomainError("invalid", "Subscribe to at least one event type.", field="event_types")


def webhook_create(*, organization: Organization, actor, url: str, event_types: list[str], description: str = "",
                   active: bool = True) -> tuple[WebhookEndpoint, str]:
    """Create a subscription; returns it with its signing secret (shown to the caller once)."""
    _validate(url, event_types)
    endpoint = WebhookEndpoint.objects.create(organization=organization, url=url, description=description,
                                              event_types=sorted(set(event_types)), active=active,
                                              secret=new_secret())
    audit_record(organization=organization, actor=actor, verb="webhook.created", obj=endpoint,
                 details={"url": url, "event_types": endpoint.event_types, "active": active})
    return endpoint, endpoint.secret


def webhook_update(*, endpoint: WebhookEndpoint, actor, **changes) -> WebhookEndpoint:
    """Change url, event_types, description or active. Re-activating clears the failure streak and delivers the
    backlog."""
    _validate(changes.get("url"), changes.get("event_types"))
    if "event_types" in changes:
        changes["event_types"] = sorted(set(changes["event_types"]))
    changed = {name: value for name, value in changes.items() if getattr(endpoint, name) != value}
    reactivated = changed.get("active") is True
    for name, value in changed.items():
        setattr(endpoint, name, value)
    if reactivated:
        endpoint.consecutive_failures, endpoint.paused_until = 0, None
        endpoint.disabled_at, endpoint.disabled_reason = None, ""
    endpoint.save()
    if changed:
        audit_record(organization=endpoint.organization, actor=actor, verb="webhook.updated", obj=endpoint,
                     details={"changed": {k: v for k, v in changed.items()}})
    if reactivated:
        wake([endpoint.pk])
    return endpoint


def webhook_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    audit_record(organization=endpoint.organization, actor=actor, verb="webhook.deleted", obj=endpoint,
                 details={"url": endpoint.url})
    endpoint.delete()


def webhook_rotate_secret(*, endpoint: WebhookEndpoint, actor, grace_seconds: int | None = None) -> str:
    """A new secret; deliveries are signed with both the new and the old one until the grace period ends."""
    grace = settings.WEBHOOKS_ROTATION_GRACE_SECONDS if grace_seconds is None else grace_seconds
    endpoint.previous_secret, endpoint.secret = endpoint.secret, new_secret()
    endpoint.previous_secret_expires_at = timezone.now() + timedelta(seconds=grace)
    endpoint.save(update_fields=["previous_secret", "secret", "previous_secret_expires_at", "modified_at"])
    audit_record(organization=endpoint.organization, actor=actor, verb="webhook.secret_rotated", obj=endpoint,
                 details={"old_secret_valid_until": endpoint.previous_secret_expires_at.isoformat()})
    return endpoint.secret


def delivery_redeliver(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send a delivery again now (same message id, so receivers can still de-duplicate)."""
    endpoint = delivery.endpoint
    if not endpoint.active:
        raise Conflict("endpoint_inactive", "This webhook is disabled; re-activate it first (PATCH active=true).")
    delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(paused_until=None)
    audit_record(organization=endpoint.organization, actor=actor, verb="webhook.redelivery_requested",
                 obj=delivery, details={"webhook": str(endpoint.pk), "message": delivery.message.message_id})
    wake([endpoint.pk])
    return delivery


# --- emitting -----------------------------------------------------------------------------------------------

def subscribers(organizations, event_types) -> list[Organization]:
    """The organizations among `organizations` (a queryset) with an active subscription to any of `event_types`:
    one query, an EXISTS answered from the `webhook_subscribed` index. Not cached: a subscription counts from the
    moment it is created."""
    return list(organizations.filter(RawSQL(_SUBSCRIBED.format(org=Organization._meta.db_table),
                                            [list(event_types)], output_field=BooleanField())))


def coalition_subscribers(coalition_ids, event_types) -> list[Organization]:
    """subscribers() among the organizations of `coalition_ids`, for the writes that ask on every request (contact
    changes, signups, form submissions): a statement prepared once per connection, since building and planning the
    query cost ten times what running it does. Inside a request it is read once (a form submission asks for its
    contact changes' and its own subscribers): a subscription counts from the next request."""
    coalitions = "{%s}" % ",".join(sorted({str(c) for c in coalition_ids}))  # an array literal: uuid[]
    wanted = set(event_types)
    return [org for org, types in request_memo(("webhooks.subscriptions", coalitions),
                                               lambda: _coalition_subscriptions(coalitions))
            if wanted & types]


def _coalition_subscriptions(coalitions: str) -> list[tuple[Organization, set]]:
    """The organizations of these coalitions with an active endpoint, each with the event types it subscribes to."""
    with connection.cursor() as cursor:
        _COALITION_SUBSCRIBERS.execute(cursor, {"coalitions": coalitions})
        return [(rawsql.instance(Organization, row), set(row[-1])) for row in cursor.fetchall()]


_SUBSCRIBED = f"""EXISTS (SELECT 1 FROM {WebhookEndpoint._meta.db_table} e
    WHERE e.organization_id = {{org}}.id AND e.active AND e.event_types && %s::varchar(40)[])"""
_COALITION_SUBSCRIBERS = rawsql.Prepared("coalition_subscriptions", (
    f"SELECT {rawsql.columns(Organization, 'o')}, types.event_types FROM {Organization._meta.db_table} o "
    "CROSS JOIN LATERAL (SELECT array_agg(DISTINCT t) AS event_types FROM "
    f"{WebhookEndpoint._meta.db_table} e, unnest(e.event_types) t WHERE e.organization_id = o.id AND e.active) types "
    "WHERE o.coalition_id = ANY(%(coalitions)s::uuid[]) AND types.event_types IS NOT NULL ORDER BY o.name"))


def emit(*, event_type: str, audience, render) -> int:
    """Record `event_type` for every organization in `audience` with an active subscription to it, with the
    payload `render(org)` builds for that organization (None: that organization may not see it). Delivery
    starts after the surrounding transaction commits. Returns the number of deliveries recorded.

    One statement finds the subscribed endpoints and inserts the messages and their deliveries, so a write with
    subscribers makes as many round trips to PostgreSQL as one without. The price: `render` runs for every
    organization in `audience`, subscribed or not; callers with a costly render narrow `audience` first with
    `subscribers()`."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    organizations = [audience] if isinstance(audience, Organization) else {org.pk: org for org in audience}.values()
    uids, org_ids, payloads = [], [], []
    for organization in organizations:
        payload = render(organization)
        if payload is not None:
            uids.append(uuid.uuid4())
            org_ids.append(organization.pk)
            payloads.append(json.dumps(payload, cls=DjangoJSONEncoder))
    if not payloads:
        return 0
    with connection.cursor() as cursor:
        _INSERT.execute(cursor, {"uids": uids, "organizations": org_ids, "payloads": payloads,
                                 "event_type": event_type, "now": timezone.now()})
        endpoint_ids = [row[0] for row in cursor.fetchall()]
    if endpoint_ids:  # one wake-up for the emits of a transaction, after the response inside a request
        on_commit_after_response("webhooks.wake", wake, endpoint_ids)
    return len(endpoint_ids)


# Prepared: planning this statement cost PostgreSQL more than running it, on every write that emits.
_INSERT = rawsql.Prepared("webhook_emit", f"""
WITH n AS (
    SELECT * FROM unnest(%(uids)s::uuid[], %(organizations)s::uuid[], %(payloads)s::text[])
        WITH ORDINALITY AS n(uid, organization_id, payload, i)
), e AS (
    SELECT id, organization_id FROM {WebhookEndpoint._meta.db_table}
    WHERE organization_id IN (SELECT organization_id FROM n) AND active
        AND event_types @> ARRAY[%(event_type)s]::varchar(40)[]
), m AS (
    INSERT INTO {WebhookMessage._meta.db_table} (uid, organization_id, payload, event_type, created_at)
    SELECT uid, organization_id, payload::jsonb, %(event_type)s, %(now)s FROM n
    WHERE organization_id IN (SELECT organization_id FROM e) ORDER BY i  -- the sequence follows `audience`
    RETURNING id, organization_id
)
INSERT INTO {WebhookDelivery._meta.db_table}
    (id, organization_id, endpoint_id, message_id, status, attempts, next_attempt_at, last_error, created_at)
SELECT gen_random_uuid(), m.organization_id, e.id, m.id, '{DeliveryStatus.PENDING}', 0, %(now)s, '', %(now)s
FROM m JOIN e ON e.organization_id = m.organization_id
RETURNING endpoint_id
""")


def redis_connection():
    return queues.redis_connection(QUEUE)


def _queue():
    return queues.queue(QUEUE)


# SET NX EX of each endpoint's drain marker, in one command (a pipeline of SETs costs the client twice the CPU
# for the same one round trip); returns the positions of the markers it set, i.e. the drains to queue.
_MARK = """
local fresh = {}
for i, key in ipairs(KEYS) do
    if redis.call('SET', key, 1, 'NX', 'EX', ARGV[1]) then fresh[#fresh + 1] = i end
end
return fresh
"""


def wake(endpoint_ids) -> None:
    """Queue one drain job per endpoint unless one is already queued. Never raises: a delivery left pending
    is picked up by the endpoint's next drain."""
    try:
        ids = [str(pk) for pk in dict.fromkeys(endpoint_ids)]
        mark = redis_connection().register_script(_MARK)
        marked = mark(keys=[DRAIN_MARKER.format(pk) for pk in ids], args=[settings.WEBHOOKS_DRAIN_MARKER_SECONDS])
        fresh = [ids[position - 1] for position in marked]
        if fresh:
            queue = _queue()
            queue.enqueue_many([queue.prepare_data("webhooks.jobs.drain", args=(pk,), result_ttl=0,
                                                   timeout=settings.WEBHOOKS_JOB_TIMEOUT_SECONDS)
                                for pk in fresh])
    except Exception:  # Redis down: the rows are safe in PostgreSQL
        log.exception("could not queue webhook deliveries for %s", endpoint_ids)


def wake_due() -> int:
    """Wake every active endpoint that has deliveries due (those a lost wake-up left waiting)."""
    ids = list(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now(),
                                              endpoint__active=True)
               .values_list("endpoint_id", flat=True).distinct())
    if ids:
        wake(ids)
    return len(ids)


def schedule_drain(endpoint_id, at) -> None:
    """Schedule a drain at `at` (rq's scheduler), unless one is already scheduled no later than that."""
    connection = redis_connection()
    marker = RETRY_MARKER.format(endpoint_id)
    stamp = at.timestamp()
    current = connection.get(marker)
    if current is not None and time.time() < float(current) <= stamp:
        return
    connection.set(marker, stamp, ex=int(max(1, stamp - time.time())) + 300)
    _queue().enqueue_at(at, "webhooks.jobs.drain", str(endpoint_id), result_ttl=0,
                        job_timeout=settings.WEBHOOKS_JOB_TIMEOUT_SECONDS)
