"""The base every API view builds on: tenancy, scopes, idempotent writes and the caller's identity in one place."""
from django.http.request import RawPostDataException
from rest_framework import mixins, viewsets
from rest_framework.views import APIView

from . import idempotency
from .context import caller_actor, caller_organization
from .throttling import ThrottleMixin


class IdempotentMixin:
    """Honours `Idempotency-Key` on every write (api/idempotency.py). It wraps DRF's dispatch: the key is claimed
    after authentication, permissions and throttling, and the handler runs in one transaction with storing its
    response. Every API view must inherit it (tests/integration/test_idempotency.py walks the URLs)."""

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            claim = None
            if request.method in idempotency.WRITE_METHODS and idempotency.HEADER in request.META:
                _keep_raw_body(request)
                claim = idempotency.begin(request, caller_organization(request))
            if isinstance(claim, idempotency.Claim):
                response = claim.run(lambda: self.finalize_response(
                    request, self._handle(request, *args, **kwargs), *args, **kwargs))
            elif claim is not None:
                response = claim  # the stored response of the first request
            else:
                response = self._handle(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def _handle(self, request, *args, **kwargs):
        handler = (getattr(self, request.method.lower(), self.http_method_not_allowed)
                   if request.method.lower() in self.http_method_names else self.http_method_not_allowed)
        try:
            return handler(request, *args, **kwargs)
        except Exception as exc:
            return self.handle_exception(exc)  # re-raises what is not an API error (a 500)


def _keep_raw_body(request):
    try:
        request._request.body  # read (and cache) the raw body before the parsers consume the stream
    except RawPostDataException:
        pass


class CallerMixin:
    """`self.organization` and `self.actor` (the ApiKey or staff user) of the request, for every API view."""

    @property
    def organization(self):
        return caller_organization(self.request)

    @property
    def actor(self):
        return caller_actor(self.request)


class ApiView(CallerMixin, ThrottleMixin, IdempotentMixin, APIView):
    """The base of non-viewset API views."""


class TenantViewSet(CallerMixin, ThrottleMixin, IdempotentMixin, viewsets.GenericViewSet):
    """Reads go through `Model.objects.visible_to(org)`, writes through `writable_by(org)`: a view never
    filters by organization itself. Unknown and foreign ids are the same 404."""

    #: resource family for scope checks ("contacts" -> contacts:read / contacts:write)
    scope_family: str | None = None

    def get_queryset(self):
        queryset = self.queryset.all()
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return queryset.visible_to(self.organization)
        return queryset.writable_by(self.organization)


class ReadOnlyTenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    pass
