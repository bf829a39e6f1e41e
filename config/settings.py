"""One settings module, configured by the environment (12-factor).

DJANGO_ENV=production turns on the production guarantees (no DEBUG, secret from the environment, HTTPS-only
cookies, HSTS). Without DATABASE_URL / REDIS_URL, the embedded servers that `make run` started are used
(their URLs are in var/run/services.env); there is never a silent default pointing at a shared server.
"""
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COALITION_VAR_DIR", BASE_DIR / "var"))


def _embedded_services() -> dict[str, str]:
    path = VAR_DIR / "run" / "services.env"
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def _service_url(name: str) -> str:
    url = os.environ.get(name) or _embedded_services().get(name)
    if not url:
        raise ImproperlyConfigured(
            f"{name} is not set and no embedded server is running. Start one with `make run` "
            f"(or wrap the command: .venv/bin/python -m config.embedded -- CMD), or set {name}."
        )
    return url


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = ENV == "production"
DEBUG = _flag("DJANGO_DEBUG", not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to at least 50 random characters in production")
else:
    _dev_secret = VAR_DIR / "secret_key"
    if os.environ.get("DJANGO_SECRET_KEY"):
        SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
    else:  # one random key per checkout, kept out of git, so dev demo keys differ between machines
        if not _dev_secret.exists():
            import secrets

            _dev_secret.parent.mkdir(parents=True, exist_ok=True)
            _dev_secret.write_text(secrets.token_urlsafe(64))
        SECRET_KEY = _dev_secret.read_text().strip()

ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "django_rq",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "organizations",
    "jobs",
    "contacts",
    "turfs",
    "events",
    "webhooks",
    "messaging",
    "testimony",
    "webforms",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api.throttling.RateLimitHeadersMiddleware",
]
CSRF_FAILURE_VIEW = "api.errors.csrf_failure"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(_service_url("DATABASE_URL"), engine="config.postgresql", conn_max_age=60,
                                              conn_health_checks=True)}  # a health check without a round trip
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _service_url("REDIS_URL")
if os.environ.get("PYTEST_XDIST_WORKER"):  # parallel test processes each get their own Redis database
    REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/" + str(1 + int(os.environ["PYTEST_XDIST_WORKER"].lstrip("gw")))
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "KEY_PREFIX": "coalition"}}
RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600} for name in ("high", "default", "low")}
# Webhook deliveries get their own queue (and short jobs), so a slow receiver never delays other work.
RQ_QUEUES["webhooks"] = {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 120}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage" if PRODUCTION
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders here, but wants the dir

# A bulk request carries up to 1,000 contacts; anything much larger is refused with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_REQUEST_BYTES", 8 * 1024 * 1024))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.KeyRateThrottle", "api.throttling.IPRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "key": os.environ.get("API_RATE_PER_KEY", "6000/min"),
        "ip": os.environ.get("API_RATE_PER_IP", "12000/min"),
    },
    "DEFAULT_PARSER_CLASSES": ["api.parsers.FastJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",  # the API parses JSON only
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Education Justice Now Coalition API",
    "DESCRIPTION": "The coalition's shared system of record: contacts, consent, events, testimony and turf. "
                   "Authenticate with `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"EventStatusEnum": "events.models.EventStatus",
                            "SignupStatusEnum": "events.models.SignupStatus",
                            "EventKindEnum": "events.models.EventKind",
                            "EventVisibilityEnum": "events.models.Visibility",
                            "HearingVisibilityEnum": "testimony.models.Hearing.Visibility",
                            "DraftKindEnum": "testimony.models.TestimonyDraft.Kind",
                            "ContactChangeKindEnum": "contacts.models.ContactChange.KINDS",
                            # required / optional / hidden of form fields and consent boxes
                            "FieldModeEnum": "webforms.models.FieldMode",
                            "FormSharingEnum": "webforms.models.Sharing",
                            "CoHostSharingEnum": "events.models.Sharing"},
}

# Production safety: all of these are what `manage.py check --deploy` asks for.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = PRODUCTION
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [] if PRODUCTION else ["security.W004", "security.W008", "security.W012", "security.W016"]

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Outgoing messages (messaging/): Django's mail backends for email, a pluggable backend for SMS.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Education Justice Now <no-reply@localhost>")
SMS_BACKEND = os.environ.get("SMS_BACKEND", "messaging.sms.ConsoleBackend")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", str(VAR_DIR / "sms.log"))

# Embedded forms (webforms/): CORS only on the public form endpoint, per form (webforms.cors).
CORS_URLS_REGEX = r"^/api/public/forms/"
CORS_ALLOWED_ORIGINS = []
FORMS_RATE_PER_IP = os.environ.get("FORMS_RATE_PER_IP", "30/min")
FORMS_RATE_PER_FORM = os.environ.get("FORMS_RATE_PER_FORM", "6000/min")
FORMS_MIN_FILL_SECONDS = float(os.environ.get("FORMS_MIN_FILL_SECONDS", 3))
FORMS_TOKEN_MAX_AGE = int(os.environ.get("FORMS_TOKEN_MAX_AGE", 24 * 3600))
FORMS_MAX_BODY_BYTES = int(os.environ.get("FORMS_MAX_BODY_BYTES", 32 * 1024))

# Coalition-specific knobs
API_KEY_PREFIX = "ejn"

# Idempotency-Key on writes: how long a key's first response is kept, and how long a request may hold its key
# before a retry may take over (longer than the gunicorn timeout, which kills a stuck request first).
IDEMPOTENCY_KEY_TTL_SECONDS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_SECONDS", 24 * 3600))
IDEMPOTENCY_LEASE_SECONDS = int(os.environ.get("IDEMPOTENCY_LEASE_SECONDS", 90))

# Webhooks (see webhooks/delivery.py). Private and loopback targets are for development and tests only.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = _flag("WEBHOOKS_ALLOW_PRIVATE_TARGETS", not PRODUCTION)
WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_TIMEOUT_SECONDS", 5))
WEBHOOKS_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOKS_RETRY_BASE_SECONDS", 15))
WEBHOOKS_RETRY_MAX_DELAY_SECONDS = float(os.environ.get("WEBHOOKS_RETRY_MAX_DELAY_SECONDS", 6 * 3600))
WEBHOOKS_MAX_ATTEMPTS = int(os.environ.get("WEBHOOKS_MAX_ATTEMPTS", 15))  # about a day with the defaults above
WEBHOOKS_RETRY_WINDOW_SECONDS = int(os.environ.get("WEBHOOKS_RETRY_WINDOW_SECONDS", 26 * 3600))
WEBHOOKS_DISABLE_AFTER_FAILURES = int(os.environ.get("WEBHOOKS_DISABLE_AFTER_FAILURES", 15))
WEBHOOKS_ROTATION_GRACE_SECONDS = int(os.environ.get("WEBHOOKS_ROTATION_GRACE_SECONDS", 24 * 3600))
WEBHOOKS_DRAIN_SECONDS = float(os.environ.get("WEBHOOKS_DRAIN_SECONDS", 20))
WEBHOOKS_JOB_TIMEOUT_SECONDS = int(WEBHOOKS_DRAIN_SECONDS + 2 * WEBHOOKS_TIMEOUT_SECONDS + 30)
WEBHOOKS_DRAIN_MARKER_SECONDS = WEBHOOKS_JOB_TIMEOUT_SECONDS + 30  # a crashed drain's marker expires
