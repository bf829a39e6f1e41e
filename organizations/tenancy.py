"""The one tenancy mechanism: every tenant-owned model's manager answers `visible_to(organization)`.

API views never filter by organization themselves; they ask the model's queryset what the caller's organization
may see (api.views.TenantViewSet does it for every viewset). A model whose rows are reachable in more ways than a
plain `organization` foreign key (a contact shared with the coalition, an event co-hosted by another member)
overrides `visible_to` in its own queryset, so the rule lives next to the data it protects.
"""
from django.db import models


class TenantQuerySet(models.QuerySet):
    #: lookup path from the model to the Organization that owns a row
    organization_path = "organization"

    def visible_to(self, organization):
        """Rows the given organization may read."""
        if organization is None:
            return self.none()
        return self.filter(**{self.organization_path: organization})

    def writable_by(self, organization):
        """Rows the given organization may change; by default the same as what it may read."""
        return self.visible_to(organization)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    pass
