"""django-filter FilterSets of the API (declared once; the views reuse them)."""
import django_filters
from django.db.models import Q

from organizations.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    verb = django_filters.CharFilter(method="filter_verb", help_text="a verb, several comma-separated, or a "
                                                                     "prefix ending in `.` (`webhook.`)")
    actor = django_filters.CharFilter(method="filter_actor", help_text="an API key prefix, a username or the "
                                                                       "actor label shown in the log")
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    organization = django_filters.CharFilter(field_name="organization__slug",
                                             help_text="a member's slug (useful with scope=coalition)")

    class Meta:
        model = AuditEvent
        fields = ["verb", "actor", "object_type", "object_id", "since", "until", "organization"]

    def filter_verb(self, queryset, name, value):
        condition = Q()
        for verb in filter(None, (v.strip() for v in value.split(","))):
            condition |= Q(verb__startswith=verb) if verb.endswith(".") else Q(verb=verb)
        return queryset.filter(condition)

    def filter_actor(self, queryset, name, value):
        return queryset.filter(Q(actor_key__prefix=value) | Q(actor_user__username=value) | Q(actor_label=value))
