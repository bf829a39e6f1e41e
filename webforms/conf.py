"""The forms app's knobs, read from settings (which read the environment) with safe defaults."""
from django.conf import settings


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


DEFAULTS = {
    "FORMS_TOKEN_MAX_AGE": 24 * 3600,      # seconds a page may stay open before its token expires
    "FORMS_MIN_FILL_SECONDS": 3,           # faster than this is a bot
    "FORMS_RATE_PER_IP": "30/min",         # "0" or "" turns the per-IP limit off (the benchmark does)
    "FORMS_RATE_PER_FORM": "6000/min",
    "FORMS_MAX_BODY_BYTES": 32 * 1024,
}
