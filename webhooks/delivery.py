"""Sending webhooks: one drain job per endpoint sends its due deliveries in sequence order, signs each with the
Standard Webhooks scheme, and logs every attempt.

A failure pauses the endpoint with exponential backoff and jitter (the failed delivery gets its own next attempt
time the same way) and schedules the next drain with rq's scheduler (`enqueue_at`), so a dead receiver costs one timed-out
attempt per backoff step instead of one per event, and never holds a worker for long. After
WEBHOOKS_DISABLE_AFTER_FAILURES consecutive failures the endpoint is disabled, with a notice in the delivery log
and an audit event. A drain runs at most WEBHOOKS_DRAIN_SECONDS, then re-queues itself at the back of the queue
so other endpoints get their turn.
"""
import json
import logging
import random
import time
from datetime import datetime, timedelta, timezone as dt_timezone

import urllib3
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone
from standardwebhooks import Webhook

from organizations.services import audit_record

from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import DRAIN_MARKER, redis_connection, schedule_drain, wake
from .targets import TargetRefused, parse, resolve

log = logging.getLogger(__name__)
BATCH = 100
USER_AGENT = "coalition-webhooks/1.0"


def backoff_seconds(failures: int) -> float:
    """Exponential backoff with ±20% jitter: base, 2·base, 4·base ... capped (about a day over 15 attempts with
    the default base of 15 s and cap of 6 h)."""
    delay = min(settings.WEBHOOKS_RETRY_MAX_DELAY_SECONDS,
                settings.WEBHOOKS_RETRY_BASE_SECONDS * 2 ** max(0, failures - 1))
    return delay * random.uniform(0.8, 1.2)


def envelope(message, organization_slug: str) -> str:
    """The exact body sent: the same bytes on every attempt of a message."""
    return json.dumps({"id": message.message_id, "type": message.event_type, "sequence": message.id,
                       "timestamp": message.created_at.isoformat(), "organization": organization_slug,
                       "data": message.payload}, separators=(",", ":"), sort_keys=True, default=str)


def signature_headers(endpoint: WebhookEndpoint, message_id: str, body: str, now: datetime) -> dict:
    """webhook-id / webhook-timestamp / webhook-signature; one `v1,` signature per valid secret (the old secret
    too during a rotation's grace period), space-separated as the Standard Webhooks spec allows."""
    stamp = now.astimezone(dt_timezone.utc)
    signatures = [Webhook(secret).sign(message_id, stamp, body) for secret in endpoint.signing_secrets(now)]
    return {"webhook-id": message_id, "webhook-timestamp": str(int(stamp.timestamp())),
            "webhook-signature": " ".join(signatures)}


class Sender:
    """HTTP POSTs to checked addresses only: the host is resolved and every address checked, then the
    connection goes to that address (TLS still verifies the host name). Connections are kept alive within a
    drain run."""

    def __init__(self):
        self._pools = {}
        timeout = settings.WEBHOOKS_TIMEOUT_SECONDS
        self.timeout = urllib3.Timeout(connect=min(timeout, 3.0), read=timeout)

    def _pool(self, scheme, host, port):
        key = (scheme, host, port)
        if key not in self._pools:
            address = resolve(host, port)[0]
            if scheme == "https":
                pool = urllib3.HTTPSConnectionPool(address, port, maxsize=1, server_hostname=host,
                                                   assert_hostname=host, timeout=self.timeout, retries=False)
            else:
                pool = urllib3.HTTPConnectionPool(address, port, maxsize=1, timeout=self.timeout, retries=False)
            self._pools[key] = pool
        return self._pools[key]

    def post(self, url: str, body: bytes, headers: dict) -> tuple[int, str]:
        scheme, host, port, path = parse(url)
        default_port = 443 if scheme == "https" else 80
        host_header = host if port == default_port else f"{host}:{port}"
        pool = self._pool(scheme, host, port)
        response = pool.urlopen("POST", path, body=body, redirect=False, retries=False, preload_content=False,
                                headers={**headers, "Host": host_header, "Content-Type": "application/json",
                                         "User-Agent": USER_AGENT})
        try:
            excerpt = response.read(65536)[:500].decode("utf-8", "replace")
        finally:
            if response.length_remaining == 0:
                response.release_conn()
            else:
                response.close()
        return response.status, excerpt

    def close(self):
        for pool in self._pools.values():
            pool.close()


def attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery, sender: Sender) -> WebhookAttempt:
    """One HTTP attempt, timed; returns the (unsaved) log row. Any non-2xx, timeout or refusal is a failure."""
    message = delivery.message
    body = envelope(message, endpoint.organization.slug)
    now = timezone.now()
    headers = signature_headers(endpoint, message.message_id, body, now)
    started = time.monotonic()
    status_code, error, excerpt = None, "", ""
    try:
        status_code, excerpt = sender.post(endpoint.url, body.encode(), headers)
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except TargetRefused as exc:
        error = f"refused: {exc}"
    except urllib3.exceptions.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    except OSError as exc:
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a bug must not wedge the endpoint: log it, count it as a failed attempt
        log.exception("webhook delivery %s failed unexpectedly", delivery.pk)
        error = f"internal error: {type(exc).__name__}"
    return WebhookAttempt(organization_id=delivery.organization_id, delivery=delivery, number=delivery.attempts + 1,
                          created_at=now, status_code=status_code, error=error[:500], response_excerpt=excerpt,
                          duration_ms=int((time.monotonic() - started) * 1000))


def _record_success(endpoint, delivery, row):
    delivery.attempts, delivery.status = row.number, DeliveryStatus.SUCCEEDED
    delivery.last_status_code, delivery.last_error = row.status_code, ""
    delivery.delivered_at, delivery.next_attempt_at = row.created_at, None


def _record_failure(endpoint, delivery, row) -> bool:
    """Update the delivery and the endpoint after a failed attempt; True when this failure disabled it."""
    now = row.created_at
    delivery.attempts, delivery.last_status_code, delivery.last_error = row.number, row.status_code, row.error
    window = timedelta(seconds=settings.WEBHOOKS_RETRY_WINDOW_SECONDS)
    if delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS or now - delivery.created_at > window:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        row.notice = f"Gave up after {delivery.attempts} attempts."
    else:
        delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
    endpoint.consecutive_failures += 1
    endpoint.paused_until = now + timedelta(seconds=backoff_seconds(endpoint.consecutive_failures))
    if delivery.next_attempt_at is not None:
        row.next_attempt_at = max(delivery.next_attempt_at, endpoint.paused_until)
    if endpoint.consecutive_failures >= settings.WEBHOOKS_DISABLE_AFTER_FAILURES:
        reason = f"Disabled after {endpoint.consecutive_failures} consecutive failed deliveries."
        endpoint.active, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
        endpoint.paused_until, row.next_attempt_at = None, None
        row.notice = (row.notice + " " + reason).strip()
        log.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)
        return True
    return False


_UPDATE = f"""
UPDATE {WebhookDelivery._meta.db_table} AS d
SET status = v.status, attempts = v.attempts, next_attempt_at = v.next_at, last_status_code = v.code,
    last_error = v.error, delivered_at = v.delivered
FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::timestamptz[], %s::int[], %s::text[], %s::timestamptz[])
    AS v(id, status, attempts, next_at, code, error, delivered)
WHERE d.id = v.id
"""


def _save(endpoint, rows, deliveries, disabled_now=False):
    with transaction.atomic():
        WebhookAttempt.objects.bulk_create(rows)
        with connection.cursor() as cursor:  # bulk_update's CASE expressions cost more than the HTTP calls
            cursor.execute(_UPDATE, [[str(d.pk) for d in deliveries], [d.status for d in deliveries],
                                     [d.attempts for d in deliveries], [d.next_attempt_at for d in deliveries],
                                     [d.last_status_code for d in deliveries], [d.last_error for d in deliveries],
                                     [d.delivered_at for d in deliveries]])
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=endpoint.consecutive_failures, paused_until=endpoint.paused_until,
            active=endpoint.active, disabled_at=endpoint.disabled_at, disabled_reason=endpoint.disabled_reason)
        if disabled_now:
            audit_record(organization=endpoint.organization, actor=None, verb="webhook.disabled", obj=endpoint,
                         details={"reason": endpoint.disabled_reason, "url": endpoint.url})


def _due(endpoint, now):
    return (WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING,
                                           next_attempt_at__lte=now)
            .select_related("message").order_by("message_id"))


class _EndpointLock:
    """A PostgreSQL advisory lock per endpoint: one drain at a time, across worker processes."""

    def __init__(self, endpoint_id):
        self.key = int(str(endpoint_id).replace("-", "")[:15], 16)
        self.acquired = False

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.key])
            self.acquired = cursor.fetchone()[0]
        return self

    def __exit__(self, *exc):
        if self.acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.key])


def _next_run(endpoint) -> None:
    """Make sure the endpoint's next drain is queued (due now) or scheduled (the earliest retry or pause end)."""
    try:
        endpoint.refresh_from_db(fields=["active", "paused_until"])
    except WebhookEndpoint.DoesNotExist:  # deleted meanwhile
        return
    if not endpoint.active:
        return
    earliest = (WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING)
                .aggregate(at=Min("next_attempt_at"))["at"])
    if earliest is None:
        return
    at = max(earliest, endpoint.paused_until or earliest)
    if at <= timezone.now():
        wake([endpoint.pk])
    else:
        schedule_drain(endpoint.pk, at)


def drain(endpoint_id: str) -> dict:
    """Send the endpoint's due deliveries, in sequence order, until none is due, one fails, or the time budget
    is spent. Safe to run twice at once (the second returns) and after a crash (rows say what is left)."""
    sent = failed = 0
    with _EndpointLock(endpoint_id) as lock:
        if not lock.acquired:  # the running drain looks for new work when it ends
            return {"skipped": "another drain holds this endpoint"}
        endpoint = WebhookEndpoint.objects.select_related("organization").filter(pk=endpoint_id).first()
        if endpoint is None or not endpoint.active:
            redis_connection().delete(DRAIN_MARKER.format(endpoint_id))
            return {"skipped": "inactive"}
        if not (endpoint.paused_until and endpoint.paused_until > timezone.now()):
            sender = Sender()
            deadline = time.monotonic() + settings.WEBHOOKS_DRAIN_SECONDS
            try:
                while time.monotonic() < deadline:
                    batch = list(_due(endpoint, timezone.now())[:BATCH])
                    if not batch:
                        break
                    rows, done, stop, disabled_now = [], [], False, False
                    for delivery in batch:
                        row = attempt(endpoint, delivery, sender)
                        rows.append(row)
                        done.append(delivery)
                        if row.error:
                            disabled_now = _record_failure(endpoint, delivery, row)
                            failed, stop = failed + 1, True
                            break
                        _record_success(endpoint, delivery, row)
                        endpoint.consecutive_failures, endpoint.paused_until = 0, None
                        sent += 1
                    _save(endpoint, rows, done, disabled_now)
                    if stop:
                        break
            finally:
                sender.close()
    # Emits that found our "queued" marker did not queue another drain: drop it, then look again for what is
    # due (committed before the marker went away), so nothing waits for a drain that will not come.
    redis_connection().delete(DRAIN_MARKER.format(endpoint_id))
    _next_run(endpoint)
    return {"sent": sent, "failed": failed}
