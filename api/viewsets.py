"""The base every API view builds on: tenancy, scopes and the caller's identity in one place."""
from rest_framework import mixins, viewsets

from .context import caller_actor, caller_organization


class TenantViewSet(viewsets.GenericViewSet):
    """Reads go through `Model.objects.visible_to(org)`, writes through `writable_by(org)`: a view never
    filters by organization itself. Unknown and foreign ids are the same 404."""

    #: resource family for scope checks ("contacts" -> contacts:read / contacts:write)
    scope_family: str | None = None

    @property
    def organization(self):
        return caller_organization(self.request)

    @property
    def actor(self):
        return caller_actor(self.request)

    def get_queryset(self):
        queryset = self.queryset.all()
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return queryset.visible_to(self.organization)
        return queryset.writable_by(self.organization)


class ReadOnlyTenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    pass
