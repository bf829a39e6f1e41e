from django.contrib import admin

from organizations.admin import OrganizationScopedAdmin

from .models import Job


@admin.register(Job)
class JobAdmin(OrganizationScopedAdmin):
    list_display = ["kind", "organization", "status", "progress", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False
