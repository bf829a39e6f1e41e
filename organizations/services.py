"""Writes for organizations, keys and the audit log (HackSoft-style services: no HTTP here)."""
import csv
import hashlib
import hmac
import io
import json
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import connection, models
from django.utils import timezone

from . import rawsql
from .errors import DomainError
from .models import ApiKey, AuditEvent, Organization
from .scopes import ALL_SCOPES, COALITION_ADMIN, KNOWN_SCOPES

LAST_USED_RESOLUTION = timedelta(minutes=1)  # don't write a row on every request


def _hash(plain: str) -> str:
    # Keys carry 256 random bits, so a fast hash is safe here (as for GitHub tokens); no salt/KDF needed.
    return hashlib.sha256(plain.encode()).hexdigest()


def _format_key(prefix: str, secret: str) -> str:
    return f"{settings.API_KEY_PREFIX}_{prefix}_{secret}"


def _parse_key(plain: str) -> tuple[str, str] | None:
    parts = plain.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != settings.API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def _validate_scopes(organization: Organization, scopes) -> list[str]:
    scopes = list(ALL_SCOPES if scopes is None else scopes)
    unknown = sorted(set(scopes) - set(KNOWN_SCOPES))
    if unknown:
        raise DomainError("invalid_scope", f"Unknown scopes: {', '.join(unknown)}", field="scopes")
    if COALITION_ADMIN in scopes and not organization.is_coalition_admin:
        raise DomainError("invalid_scope", f"{organization} is not a coalition admin member", field="scopes")
    return sorted(set(scopes))


def api_key_create(*, organization: Organization, name: str, scopes=None, created_by=None, expires_at=None,
                   prefix: str | None = None, secret: str | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its plain text, which is never stored and cannot be shown again."""
    prefix = prefix or secrets.token_hex(4)
    secret = secret or secrets.token_urlsafe(32)
    plain = _format_key(prefix, secret)
    key = ApiKey.objects.create(organization=organization, name=name, prefix=prefix, secret_hash=_hash(plain),
                                scopes=_validate_scopes(organization, scopes), created_by=created_by,
                                expires_at=expires_at)
    audit_record(organization=organization, actor=created_by, verb="api_key.created", obj=key,
                 details={"name": name, "prefix": prefix, "scopes": key.scopes})
    return key, plain


def demo_api_key(organization: Organization) -> tuple[ApiKey, str]:
    """The demo key of a member: derived from SECRET_KEY, so `make run` can print it again without storing it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-api-key:{organization.slug}".encode(), "sha256")
    prefix, secret = "d" + digest.hexdigest()[:7], digest.hexdigest()[8:]
    key = ApiKey.objects.filter(prefix=prefix).first()
    if key is None:
        key, plain = api_key_create(organization=organization, name="Demo key", prefix=prefix, secret=secret)
        return key, plain
    return key, _format_key(prefix, secret)


_KEY_SQL = rawsql.Prepared("api_key", (
    f"SELECT {rawsql.columns(ApiKey, 'k')}, {rawsql.columns(Organization, 'o')} "
    f"FROM {ApiKey._meta.db_table} k JOIN {Organization._meta.db_table} o ON o.id = k.organization_id "
    "WHERE k.prefix = %(prefix)s"))


def api_key_authenticate(plain: str) -> ApiKey | None:
    """The active key matching `plain` (with its organization), or None. Compared in constant time. Read on every
    request, never cached, so a revocation applies to the next request; in plain SQL (organizations.rawsql)."""
    parsed = _parse_key(plain)
    if parsed is None:
        return None
    with connection.cursor() as cursor:
        _KEY_SQL.execute(cursor, {"prefix": parsed[0]})
        row = cursor.fetchone()
    if row is None:
        return None
    key, key.organization = rawsql.instances(row, ApiKey, Organization)
    if not hmac.compare_digest(key.secret_hash, _hash(plain)) or not key.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def api_key_revoke(*, prefix: str, actor=None) -> ApiKey:
    key = ApiKey.objects.filter(prefix=prefix).first()
    if key is None:
        raise DomainError("not_found", f"No API key with prefix {prefix!r}", status=404)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(organization=key.organization, actor=actor, verb="api_key.revoked", obj=key,
                     details={"name": key.name, "prefix": key.prefix})
    return key


def actor_label(actor) -> str:
    if isinstance(actor, ApiKey):
        return f"key {actor.name} ({actor.prefix})"
    if isinstance(actor, AbstractBaseUser):
        return f"user {actor.get_username()}"
    return "system"


_SECRET_NAME = re.compile(r"secret|password|passwd|token|authorization|signature|api_key|apikey", re.I)


def _secret_value():
    return re.compile(rf"whsec_[A-Za-z0-9+/=]+|\b{re.escape(settings.API_KEY_PREFIX)}_[0-9a-z]+_[A-Za-z0-9_\-]{{16,}}")


def scrub_secrets(value, _pattern=None):
    """Audit details never hold keys or secrets: fields named like secrets are redacted, and values that look
    like an API key (`ejn_…_…`) or a webhook secret (`whsec_…`) are masked wherever they appear."""
    pattern = _pattern or _secret_value()
    if isinstance(value, dict):
        return {k: "[redacted]" if _SECRET_NAME.search(str(k)) and value[k] not in (None, "", [], {})
                else scrub_secrets(value[k], pattern) for k in value}
    if isinstance(value, (list, tuple)):
        return [scrub_secrets(item, pattern) for item in value]
    if isinstance(value, str):
        return pattern.sub("[redacted]", value)
    return value


def audit_events_of_coalition(coalition):
    """Every member's audit events plus the coalition-wide ones (no organization): for coalition admins."""
    return AuditEvent.objects.filter(models.Q(organization__coalition=coalition) | models.Q(organization=None))


def audit_record(*, organization: Organization | None, actor, verb: str, obj=None, object_type: str = "",
                 object_id: str = "", details: dict | None = None) -> AuditEvent:
    """Append an audit event. `actor` is a user, an ApiKey or None (the system). Secrets in `details` are
    redacted (scrub_secrets)."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
    return AuditEvent.objects.create(
        organization=organization,
        actor_user=actor if isinstance(actor, AbstractBaseUser) else None,
        actor_key=actor if isinstance(actor, ApiKey) else None,
        actor_label=actor_label(actor), verb=verb, object_type=object_type, object_id=str(object_id),
        details=scrub_secrets(details or {}),
    )


AUDIT_CSV_COLUMNS = ["created_at", "actor", "verb", "object_type", "object_id", "details"]


def audit_export_csv(job, progress) -> dict:
    """Write the organization's audit log as CSV onto the job (re-running replaces the file)."""
    events = AuditEvent.objects.visible_to(job.organization).order_by("created_at")
    if "since" in job.params:
        events = events.filter(created_at__gte=job.params["since"])
    if "until" in job.params:
        events = events.filter(created_at__lt=job.params["until"])
    total = events.count()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(AUDIT_CSV_COLUMNS)
    for index, event in enumerate(events.iterator(chunk_size=2000), start=1):
        writer.writerow([event.created_at.isoformat(), event.actor_label, event.verb, event.object_type,
                         event.object_id, json.dumps(event.details, sort_keys=True)])
        if index % 2000 == 0:
            progress(index * 100 // total, f"{index} of {total} events")
    job.result_file.save(f"audit-{job.organization.slug}-{job.id}.csv", ContentFile(buffer.getvalue().encode()),
                         save=True)
    audit_record(organization=job.organization, actor=job.created_by_key or job.created_by_user,
                 verb="audit.exported", obj=job, details={"rows": total})
    return {"rows": total}
