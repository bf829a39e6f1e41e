"""The staff admin, scoped by Membership: a staff user sees and edits only their organizations' data.

Every tenant model's admin derives from OrganizationScopedAdmin, which asks the model's own
`visible_to(organization)` for each of the user's organizations, the same rule the API uses.
"""
from django.contrib import admin

from .models import ApiKey, AuditEvent, Coalition, Membership, Organization, Role


def staff_organizations(user, roles=None):
    if user.is_superuser:
        return Organization.objects.all()
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return Organization.objects.filter(pk__in=memberships.values("organization"))


class OrganizationScopedAdmin(admin.ModelAdmin):
    organization_field = "organization"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        visible = queryset.none()
        for organization in staff_organizations(request.user):
            visible = visible | queryset.visible_to(organization)
        return visible.distinct()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.organization_field and not request.user.is_superuser:
            kwargs["queryset"] = staff_organizations(request.user, [Role.ADMIN, Role.ORGANIZER])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _is_member(self, request, roles=None):
        return request.user.is_active and request.user.is_staff and staff_organizations(request.user, roles).exists()

    def has_module_permission(self, request):
        return self._is_member(request)

    def has_view_permission(self, request, obj=None):
        return self._is_member(request)

    def has_add_permission(self, request):
        return self._is_member(request, [Role.ADMIN, Role.ORGANIZER])

    def has_change_permission(self, request, obj=None):
        return self._is_member(request, [Role.ADMIN, Role.ORGANIZER])

    def has_delete_permission(self, request, obj=None):
        return self._is_member(request, [Role.ADMIN])


@admin.register(Coalition)
class CoalitionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "slug", "website", "is_coalition_admin"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        return staff_organizations(request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or (
            obj is not None and staff_organizations(request.user, [Role.ADMIN]).filter(pk=obj.pk).exists())


@admin.register(Membership)
class MembershipAdmin(OrganizationScopedAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role"]

    def has_add_permission(self, request):
        return self._is_member(request, [Role.ADMIN])

    def has_change_permission(self, request, obj=None):
        return self._is_member(request, [Role.ADMIN])


@admin.register(ApiKey)
class ApiKeyAdmin(OrganizationScopedAdmin):
    list_display = ["name", "organization", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at"]
    fields = ["organization", "name", "scopes", "expires_at", "revoked_at", *readonly_fields]

    def has_add_permission(self, request):  # keys are created with create_api_key so the secret is shown once
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(OrganizationScopedAdmin):
    list_display = ["created_at", "organization", "actor_label", "verb", "object_type", "object_id"]
    list_filter = ["verb"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
