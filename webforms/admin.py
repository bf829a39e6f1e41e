from django.contrib import admin

from organizations.admin import OrganizationScopedAdmin

from .models import Form, FormCosponsor, OutboxMessage, Submission


class CosponsorInline(admin.TabularInline):
    model = FormCosponsor
    extra = 0


@admin.register(Form)
class FormAdmin(OrganizationScopedAdmin):
    list_display = ["title", "slug", "kind", "organization", "opens_at", "closes_at"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [CosponsorInline]


@admin.register(Submission)
class SubmissionAdmin(OrganizationScopedAdmin):
    organization_field = "recruited_by"
    list_display = ["form", "contact", "recruited_by", "outcome", "language", "created_at"]
    list_filter = ["outcome", "language"]
    raw_id_fields = ["contact"]
    readonly_fields = [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["submission", "kind", "organization", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
