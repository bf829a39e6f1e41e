from django.contrib import admin

from organizations.admin import OrganizationScopedAdmin

from .models import Contact, OrganizationContact


class ContactAdmin(OrganizationScopedAdmin):
    list_display = ["given_name", "family_name", "language", "coalition_shared", "modified_at"]
    search_fields = ["given_name", "family_name", "emails__normalized"]
    readonly_fields = ["given_key", "family_key", "coalition_shared", "merged_into", "erased_at"]


admin.site.register(Contact, ContactAdmin)


@admin.register(OrganizationContact)
class OrganizationContactAdmin(OrganizationScopedAdmin):
    list_display = ["contact", "organization", "external_id", "source", "first_seen_at"]
    search_fields = ["external_id"]
    raw_id_fields = ["contact"]
