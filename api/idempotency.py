"""`Idempotency-Key` on every write of the API (IETF draft "The Idempotency-Key HTTP Header Field").

Used by api.viewsets.IdempotentMixin, which every API view inherits. Per organization and key:
- the first request claims the key (a committed row, unique on (organization, key)) and runs inside one
  transaction that also stores its response, so the work and the stored response commit together or not at all;
- a replay with the same method, path and body gets the stored status, body and headers back
  (`Idempotent-Replayed: true`), for IDEMPOTENCY_KEY_TTL_SECONDS (24 h);
- the same key on another endpoint or with another body is a 422; a replay while the first still runs is a 409;
- a first request that answered 5xx or died releases the key (a dead one by its lease running out), so the
  client can retry under the same key. A request whose lease was taken over cannot commit its work.
"""
import hashlib
import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.http.request import RawPostDataException
from django.utils import timezone

from organizations.errors import Conflict, DomainError

from .models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: response headers replayed with the stored body
REPLAYED_HEADERS = ("Content-Type", "Location", "Content-Location", "ETag", "Last-Modified", "Link")
FIELD = "Idempotency-Key"


class _Rollback(Exception):
    def __init__(self, response):
        self.response = response


def body_fingerprint(raw: bytes) -> str:
    """SHA-256 of the body, of its canonical JSON when it is JSON (so key order and spacing do not matter)."""
    try:
        raw = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        pass
    return hashlib.sha256(raw).hexdigest()


def replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.response_body), status=record.status_code)
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


class Claim:
    """The right to run a request under a key, held until `run` stores its response or releases the key."""

    def __init__(self, record: IdempotencyRecord):
        self.record = record

    def run(self, produce):
        """`produce()` returns the finalized response; runs in a transaction with storing it."""
        try:
            with transaction.atomic():
                response = produce()
                if hasattr(response, "render"):
                    response.render()
                if response.status_code >= 500:
                    raise _Rollback(response)
                self._store(response)
            return response
        except _Rollback as rollback:
            self.release()
            return rollback.response
        except BaseException:
            self.release()
            raise

    def _store(self, response):
        headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
        stored = IdempotencyRecord.objects.filter(pk=self.record.pk, owner=self.record.owner).update(
            state=IdempotencyRecord.State.COMPLETED, status_code=response.status_code, response_headers=headers,
            response_body=response.content)
        if not stored:  # our lease ran out and a retry took the key over: our work must not commit
            raise Conflict("idempotency_key_in_use", "This request took too long; a retry under the same "
                           "Idempotency-Key has taken over.")

    def release(self):
        IdempotencyRecord.objects.filter(pk=self.record.pk, owner=self.record.owner).delete()


def begin(request, organization):
    """None when the request carries no key (or is not a write); a stored response to replay; or a Claim.
    Raises DomainError for a malformed key (400), a reused key (422) or one still in use (409)."""
    key = request.META.get(HEADER)
    if key is None or request.method not in WRITE_METHODS:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise DomainError("invalid_idempotency_key", f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} characters.",
                          field=FIELD)
    path = request.get_full_path()
    try:
        raw = request._request.body
    except RawPostDataException:
        raw = json.dumps(request.data, sort_keys=True, default=str).encode()
    body_hash = body_fingerprint(raw)
    now = timezone.now()
    fresh = {"method": request.method, "path": path[:2000], "body_hash": body_hash, "owner": uuid.uuid4(),
             "state": IdempotencyRecord.State.IN_PROGRESS, "status_code": None, "response_headers": {},
             "response_body": b"", "locked_until": now + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS),
             "expires_at": now + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)}
    try:
        with transaction.atomic():
            return Claim(IdempotencyRecord.objects.create(organization=organization, key=key, **fresh))
    except IntegrityError:
        pass
    with transaction.atomic():
        record = IdempotencyRecord.objects.select_for_update().filter(organization=organization, key=key).first()
        if record is None:  # released between our insert and this read: claim it now
            return Claim(IdempotencyRecord.objects.create(organization=organization, key=key, **fresh))
        if record.expires_at <= now:  # an expired key is a new key
            return _take_over(record, fresh)
        if (record.method, record.path) != (request.method, path[:2000]):
            raise DomainError("idempotency_key_reused", f"This Idempotency-Key was used for {record.method} "
                              f"{record.path}; use a new key for a different request.", field=FIELD, status=422)
        if record.body_hash != body_hash:
            raise DomainError("idempotency_key_reused", "This Idempotency-Key was used with a different request "
                              "body; use a new key for a different request.", field=FIELD, status=422)
        if record.state == IdempotencyRecord.State.COMPLETED:
            return replay(record)
        if record.locked_until > now:
            raise Conflict("idempotency_key_in_progress", "A request with this Idempotency-Key is still being "
                           "processed; retry later.", field=FIELD)
        return _take_over(record, fresh)  # its request died: this retry runs it


def _take_over(record, fresh) -> Claim:
    for name, value in fresh.items():
        setattr(record, name, value)
    record.save()
    return Claim(record)


def purge_expired() -> int:
    return IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()[0]
