"""The signed, expiring form token that replaces a cookie CSRF token (third-party iframes lose cookies).

It carries the form's slug, the time the page was served (for the minimum fill time and the expiry) and a random
nonce: a submission is stored at most once per nonce, so a double-click or a retried POST creates nothing new.
"""
import secrets
import time
from dataclasses import dataclass

from django.core import signing
from django.utils.translation import gettext as _

from organizations.errors import DomainError

from .conf import setting

SALT = "webforms.form-token"
MAX_TOKEN_LENGTH = 400


@dataclass(frozen=True)
class FormToken:
    slug: str
    issued_at: float
    nonce: str


def token_issue(form, *, issued_at: float | None = None) -> str:
    payload = {"f": form.slug, "t": int(issued_at if issued_at is not None else time.time()),
               "n": secrets.token_urlsafe(16)}
    return signing.dumps(payload, salt=SALT, compress=False)


def token_read(raw, form, *, now: float | None = None) -> FormToken:
    """The token's content; DomainError (400) when it is missing, forged, for another form, or expired."""
    now = time.time() if now is None else now
    if not isinstance(raw, str) or not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise DomainError("token_invalid", _("This form could not be verified. Reload the page and try again."),
                          field="token")
    try:
        payload = signing.loads(raw, salt=SALT)
        token = FormToken(str(payload["f"]), float(payload["t"]), str(payload["n"])[:40])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise DomainError("token_invalid", _("This form could not be verified. Reload the page and try again."),
                          field="token")
    if token.slug != form.slug:
        raise DomainError("token_invalid", _("This form could not be verified. Reload the page and try again."),
                          field="token")
    if now - token.issued_at > setting("FORMS_TOKEN_MAX_AGE"):
        raise DomainError("token_expired", _("This page has expired. Reload it and submit the form again."),
                          field="token")
    return token


def filled_too_fast(token: FormToken, *, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    return now - token.issued_at < setting("FORMS_MIN_FILL_SECONDS")
