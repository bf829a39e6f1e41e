"""One error shape for every 4xx: {"error": {"code", "message", "fields": {field: [messages]}}}."""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from organizations.errors import DomainError

CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "parse_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def flatten_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub[0].name": ["message", ...]}, so a client names the exact field."""
    if isinstance(detail, dict):
        out = {}
        for key, value in detail.items():
            if isinstance(key, int):  # DRF reports the items of a nested many=True as {index: errors}
                name = f"{prefix}[{key}]"
            else:
                name = prefix if key == "non_field_errors" and prefix else (f"{prefix}.{key}" if prefix else str(key))
            out.update(flatten_fields(value, name))
        return out
    if isinstance(detail, list) and detail and all(isinstance(item, str) for item in detail):
        return {prefix or "non_field_errors": [str(item) for item in detail]}
    if isinstance(detail, list):
        out = {}
        for index, value in enumerate(detail):
            if value:
                out.update(flatten_fields(value, f"{prefix}[{index}]"))
        return out
    return {prefix or "non_field_errors": [str(detail)]}


def _first_message(fields: dict) -> str:
    for name, messages in fields.items():
        return f"{name}: {messages[0]}" if name != "non_field_errors" else messages[0]
    return "Invalid input."


def exception_handler(exc, context):
    headers = {}
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("payload_too_large", "The request body is too large."), status=413)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real server error: let Django log it and answer 500
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait) + (0 if float(exc.wait).is_integer() else 1))
    code = next((c for cls, c in CODES.items() if type(exc) is cls), None) or next(
        (c for cls, c in CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_fields(exc.detail)
        body = error_body(code, _first_message(fields), fields)
    else:
        body = error_body(code, str(exc.detail))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def json_404(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def json_500(request):
    return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)


def json_400(request, exception=None):
    return JsonResponse(error_body("bad_request", "Bad request."), status=400)


def json_403(request, exception=None):
    return JsonResponse(error_body("permission_denied", "Forbidden."), status=403)


def csrf_failure(request, reason=""):
    return JsonResponse(error_body("csrf_failed", f"CSRF check failed: {reason}"), status=403)
