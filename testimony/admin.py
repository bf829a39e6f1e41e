"""Staff views of hearings and witnesses, scoped like the API. Statuses, consent and drafts change only
through the services (the API), so they are read-only here."""
from django.contrib import admin

from organizations.admin import OrganizationScopedAdmin, staff_organizations

from .models import Bill, Hearing, Testimony, TestimonyTransition


class BillInline(admin.TabularInline):
    model = Bill
    extra = 0
    readonly_fields = ["number"]


@admin.register(Hearing)
class HearingAdmin(OrganizationScopedAdmin):
    organization_field = "host"
    list_display = ["committee", "starts_at", "status", "host", "visibility", "registration_deadline"]
    list_filter = ["status", "committee"]
    readonly_fields = ["registration_deadline_is_default", "previous_starts_at"]
    inlines = [BillInline]

    def has_change_permission(self, request, obj=None):
        """Members see coalition hearings; only the host's staff change them."""
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or request.user.is_superuser:
            return allowed
        return staff_organizations(request.user).filter(pk=obj.host_id).exists()

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and super().has_delete_permission(request, obj)


class TransitionInline(admin.TabularInline):
    model = TestimonyTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "note", "details", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Testimony)
class TestimonyAdmin(OrganizationScopedAdmin):
    list_display = ["contact", "hearing", "organization", "mode", "status", "speaker_position"]
    list_filter = ["status", "mode", "role"]
    raw_id_fields = ["contact", "hearing", "coach"]
    readonly_fields = ["status", "public_record_consent_text", "public_record_consent_at", "registered_at",
                       "registration_confirmation", "speaker_position", "estimated_start"]
    inlines = [TransitionInline]
