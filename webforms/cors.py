"""CORS for /api/public/forms/{slug}/: django-cors-headers does the protocol (preflight, Vary, allowed headers),
and this handler of its `check_request_enabled` signal decides per request: the Origin must be one the form
allows. (CORS_URLS_REGEX keeps every other path CORS-free; CORS_ALLOWED_ORIGINS stays empty.) The view checks
the Origin again, because CORS only stops a browser from reading the answer, not a POST from arriving."""
import re

PATH = re.compile(r"^/api/public/forms/(?P<slug>[-a-zA-Z0-9_]+)/$")


def allow_form_origin(sender, request, **kwargs) -> bool:
    match = PATH.match(request.path_info)
    origin = request.headers.get("Origin", "").rstrip("/")
    if not match or not origin:
        return False
    from .views import load_form  # the same few-seconds cache the view uses: no extra query per request

    form = load_form(match["slug"])
    return form is not None and origin in {o.rstrip("/") for o in form.allowed_origins}
