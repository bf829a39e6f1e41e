"""The public surface: the embeddable page (/embed/{slug}/), the loader script (/embed.js) and the JSON endpoint
(/api/public/forms/{slug}/) for partners' own front ends. All three call webforms.services.submission_receive.

No cookie CSRF (third-party iframes lose cookies): the signed form token protects the POST instead.
"""
import json
import time
from pathlib import Path

from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from api.errors import error_body
from organizations.errors import DomainError

from .conf import setting
from .models import CONSENT_KINDS, Form, FormAction, FormCosponsor, Kind
from .rendering import markdown_html, question_label, receiving_organizations, sharing_statement, text_for
from .services import ensure_open, origin_allowed, recruiter_for, submission_receive
from .tokens import token_issue
from .validation import LIMITS, UTM, all_questions, field_labels

EMBED_JS = (Path(__file__).parent / "static" / "webforms" / "embed.js").read_text()
PASS_THROUGH = ("ref", *UTM, "referrer")


_forms: dict = {}  # slug -> (loaded at, form): a few seconds of reuse per process
FORM_CACHE_SECONDS = 5


def load_form(slug: str) -> Form | None:
    """The form with its owner and co-sponsors. Kept a few seconds per process (two queries less per
    submission); a save in this process clears it at once (webforms.apps), other processes within seconds."""
    slug = slug[:80]
    cached = _forms.get(slug)
    if cached is not None and time.monotonic() - cached[0] < FORM_CACHE_SECONDS:
        return cached[1]
    form = (Form.objects.select_related("organization", "hearing", "event")
            .prefetch_related(Prefetch("cosponsors", FormCosponsor.objects.select_related("organization")),
                              "hearing__bills", "event__shifts")
            .filter(slug=slug).first())
    if form is not None:
        _forms[slug] = (time.monotonic(), form)
    return form


def forget_forms(**kwargs) -> None:
    _forms.clear()


def choose_language(request, form, data=None) -> str:
    """?lang= (or the posted lang), else Accept-Language; limited to the form's languages."""
    allowed = [code for code in (form.languages if form else ["en", "es"]) if code in ("en", "es")] or ["en"]
    wanted = (request.GET.get("lang") or (data or {}).get("lang") or "")
    if isinstance(wanted, str) and wanted[:2] in allowed:
        return wanted[:2]
    header = translation.get_language_from_request(request)
    return header[:2] if header and header[:2] in allowed else allowed[0]


def client_ip(request) -> str | None:
    """REMOTE_ADDR: behind the nginx of deploy/, which sets it from X-Real-IP (never trust X-Forwarded-For
    blindly here: a bot would rotate it to dodge the per-IP limit)."""
    return request.META.get("REMOTE_ADDR") or None


def body_too_large(request) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > setting("FORMS_MAX_BODY_BYTES")
    except ValueError:
        return True


def public_count(form) -> int:
    return FormAction.objects.filter(form=form, kind=Kind.PETITION).count()


def _own_origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _frame_headers(response, form):
    ancestors = " ".join(["'self'", *(form.allowed_origins if form else [])])
    form_action = " ".join(["'self'", *([form.redirect_url] if form and form.redirect_url else [])])
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        f"form-action {form_action}; base-uri 'none'; frame-ancestors {ancestors}")
    return response


# ---- the page ---------------------------------------------------------------------------------------------

def _page_context(request, form, language, *, data=None, errors=None, receipt=None, status_message=""):
    data = data or {}
    recruiter = recruiter_for(form, (data.get("ref") or request.GET.get("ref") or "")[:40]) if form else None
    labels = field_labels()
    modes = form.standard_fields or {}
    fields = []
    errors = errors or {}

    def add(name, required, kind="text", autocomplete="", inputmode=""):
        fields.append({"name": name, "label": labels[name], "required": required, "type": kind,
                       "autocomplete": autocomplete, "inputmode": inputmode, "value": data.get(name, ""),
                       "maxlength": LIMITS[name], "errors": errors.get(name, [])})
    for name, kind, auto, mode in (("given_name", "text", "given-name", ""), ("family_name", "text", "family-name", ""),
                                   ("email", "email", "email", "email"), ("phone", "tel", "tel", "tel")):
        if modes.get(name, "hidden") != "hidden":
            add(name, modes[name] == "required", kind, auto, mode)
    address = modes.get("address", "hidden")
    if address != "hidden":
        add("address_line1", address == "required", "text", "address-line1")
        add("address_line2", False, "text", "address-line2")
        add("city", address == "required", "text", "address-level2")
        add("state", address == "required", "text", "address-level1")
    if modes.get("postal_code", "hidden") != "hidden" or address != "hidden":
        add("postal_code", modes.get("postal_code") == "required" or address == "required", "text", "postal-code",
            "numeric")
    answers = data.get("answers") or {}
    questions = []
    for question in all_questions(form):
        key = question["key"]
        questions.append({
            "key": key, "type": question.get("type", "text"), "label": str(question_label(question, language)),
            "required": bool(question.get("required")), "value": answers.get(key, ""),
            "errors": errors.get(f"answers.{key}", []),
            "choices": [{"value": c["value"], "label": str(question_label(c, language))}
                        for c in question.get("choices", [])],
            "maxlength": min(int(question.get("max_length") or 2000), 2000)})
    consents = [{"kind": kind, "text": text_for(form, f"{kind}_consent_text", language),
                 "required": getattr(form, f"{kind}_consent") == "required",
                 "checked": str(data.get(f"consent_{kind}", "")).lower() in ("on", "true", "1"),
                 "errors": errors.get(f"consent_{kind}", [])}
                for kind in CONSENT_KINDS if getattr(form, f"{kind}_consent") != "hidden"]
    summary = []
    for name, messages in errors.items():
        label = labels.get(name) or next((q["label"] for q in questions if f"answers.{q['key']}" == name), "")
        if name.startswith("consent_"):
            label = _("Consent")
        anchor = f"id_{name.replace('.', '_')}" if name not in ("token", "answers") else "form-top"
        summary.extend({"anchor": anchor, "label": label, "message": m} for m in messages)
    query = {k: request.GET[k][:LIMITS.get(k, 200)] for k in (*PASS_THROUGH, "embed") if request.GET.get(k)}
    other_languages = [{"code": code, "name": {"en": "English", "es": "Español"}[code],
                        "url": "?" + urlencode({**query, "lang": code})}
                       for code in form.languages if code != language and code in ("en", "es")]
    pass_through = {k: (data.get(k) or request.GET.get(k, ""))[:LIMITS[k]] for k in PASS_THROUGH}
    count = public_count(form) if form.kind == Kind.PETITION and form.show_count else None
    return {
        "form": form, "language": language, "title": text_for(form, "title", language),
        "introduction_html": markdown_html(text_for(form, "introduction", language)),
        "fields": fields, "questions": questions, "consents": consents,
        "story": form.kind == Kind.STORY, "story_value": data.get("story", ""), "story_errors": errors.get("story", []),
        "story_max": LIMITS["story"],
        "sharing_statement": sharing_statement(form, recruiter),
        "token": token_issue(form), "pass_through": pass_through, "lang_links": other_languages,
        "errors": summary, "error_message": status_message, "receipt": receipt, "count": count,
        "goal": form.goal if form.kind == Kind.PETITION else None,
        "action_url": request.path + ("?" + urlencode(query) if query else ""),
        "embedded": request.GET.get("embed") == "1",
    }


def _page(request, form, language, status=200, **context):
    with translation.override(language):
        response = render(request, "webforms/embed.html", _page_context(request, form, language, **context),
                          status=status)
    response["Content-Language"] = language
    response["Vary"] = "Accept-Language"
    return _frame_headers(response, form)


def _message_page(request, form, language, message, status):
    with translation.override(language):
        response = render(request, "webforms/message.html",
                          {"language": language, "title": text_for(form, "title", language) if form else _("Form"),
                           "message": message}, status=status)
    return _frame_headers(response, form)


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def embed_page(request, slug):
    form = load_form(slug)
    if form is None:
        language = choose_language(request, None)
        with translation.override(language):
            return _message_page(request, None, language, _("This form does not exist."), 404)
    if request.method == "POST" and body_too_large(request):
        language = choose_language(request, form)
        with translation.override(language):
            return _message_page(request, form, language, _("What you sent is too long."), 413)
    data = _post_data(request, form) if request.method == "POST" else {}
    language = choose_language(request, form, data)
    with translation.override(language):
        if request.method == "GET":
            try:
                ensure_open(form)
            except DomainError as exc:
                return _message_page(request, form, language, exc.message, exc.status)
            return _page(request, form, language)
        if not origin_allowed(form, request.headers.get("Origin"), _own_origin(request)):
            return _message_page(request, form, language, _("This form cannot be sent from that website."), 403)
        try:
            receipt = submission_receive(form=form, data=data, ip=client_ip(request),
                                         user_agent=request.headers.get("User-Agent", ""), language=language)
        except DomainError as exc:
            if exc.code in ("form_closed", "kind_unavailable"):
                return _message_page(request, form, language, exc.message, exc.status)
            return _page(request, form, language, status=exc.status, data=data, errors=exc.fields,
                         status_message=exc.message)
        if receipt.redirect_url and request.GET.get("embed") != "1":  # a page of its own: go there
            return _see_other(receipt.redirect_url)
        with translation.override(language):
            response = render(request, "webforms/thanks.html", {
                "language": language, "title": text_for(form, "title", language), "receipt": receipt,
                "embedded": request.GET.get("embed") == "1", "slug": form.slug})
        return _frame_headers(response, form)


def _see_other(url):
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


def _post_data(request, form) -> dict:
    post = request.POST
    data = {k: post.get(k, "") for k in post.keys() if not k.startswith("answers.")}
    data["answers"] = {q["key"]: post.get(f"answers.{q['key']}", "") for q in all_questions(form)}
    for name in PASS_THROUGH:  # the page's own address carries ref / utm_* when the hidden fields do not
        if not data.get(name) and request.GET.get(name):
            data[name] = request.GET[name]
    return data


@cache_control(public=True, max_age=300)
def embed_js(request):
    return HttpResponse(EMBED_JS, content_type="application/javascript; charset=utf-8")


# ---- JSON for partners' own front ends --------------------------------------------------------------------

def _json_error(code, message, status, fields=None, **extra):
    response = JsonResponse(error_body(code, message, fields, **extra), status=status)
    if "retry_after" in extra:
        response["Retry-After"] = str(extra["retry_after"])
    return response


def form_definition(request, form, language) -> dict:
    context = _page_context(request, form, language)
    return {
        "slug": form.slug, "kind": form.kind, "language": language, "languages": form.languages,
        "title": context["title"], "introduction_html": context["introduction_html"],
        "fields": [{k: f[k] for k in ("name", "label", "required", "type", "autocomplete", "maxlength")}
                   for f in context["fields"]],
        "story": {"label": field_labels()["story"], "maxlength": LIMITS["story"]} if context["story"] else None,
        "questions": [{k: q[k] for k in ("key", "type", "label", "required", "choices", "maxlength")}
                      for q in context["questions"]],
        "consents": [{k: c[k] for k in ("kind", "text", "required")} for c in context["consents"]],
        "sharing_statement": context["sharing_statement"],
        "organizations": [o.name for o in receiving_organizations(form, recruiter_for(form, request.GET.get("ref", "")))],
        "goal": context["goal"], "count": context["count"], "token": context["token"],
        "open": form.is_open(),
    }


@csrf_exempt
@require_http_methods(["GET", "POST"])
def public_form(request, slug):
    """GET: the form's definition and a fresh token. POST (JSON): a submission; 201 with the thank-you."""
    form = load_form(slug)
    language = choose_language(request, form) if form else "en"
    with translation.override(language):
        if form is None:
            return _json_error("not_found", _("This form does not exist."), 404)
        if not origin_allowed(form, request.headers.get("Origin"), _own_origin(request)):
            return _json_error("origin_not_allowed", _("This form cannot be sent from that website."), 403)
        if request.method == "GET":
            try:
                ensure_open(form)
            except DomainError as exc:
                return _json_error(exc.code, exc.message, exc.status)
            return JsonResponse(form_definition(request, form, language))
        if body_too_large(request):
            return _json_error("payload_too_large", _("What you sent is too long."), 413)
        if request.content_type != "application/json":
            return _json_error("unsupported_media_type", _("Send the submission as application/json."), 415)
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _json_error("parse_error", _("The submission could not be read."), 400)
        if not isinstance(data, dict):
            return _json_error("parse_error", _("The submission could not be read."), 400)
        language = choose_language(request, form, data)
    with translation.override(language):
        try:
            receipt = submission_receive(form=form, data=data, ip=client_ip(request),
                                         user_agent=request.headers.get("User-Agent", ""), language=language)
        except DomainError as exc:
            return _json_error(exc.code, exc.message, exc.status, exc.fields, **exc.extra)
        return JsonResponse({"status": "ok", "thank_you": receipt.thank_you_text,
                             "redirect_url": receipt.redirect_url or None}, status=201)
