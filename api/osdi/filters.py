"""OSDI `filter` parameters applied to querysets. The grammar is api.osdi.odata; this maps its clauses onto
each resource's fields. An email or phone filter matches only values the caller may see (through
contacts.sharing.contact_view), so a filter can never confirm a detail the record itself would hide."""
from django.db.models import Q

from contacts.normalize import InvalidValue, normalize_email, parse_phone
from contacts.sharing import render_contacts
from organizations.errors import DomainError

from .odata import Field, FilterError, parse_filter

DATES = Field("datetime", ("gt", "ge", "lt", "le"))
PEOPLE = {"email_address": Field(), "phone_number": Field(), "given_name": Field(), "family_name": Field(),
          "modified_date": DATES, "created_date": DATES}
TAGS = {"name": Field(), "modified_date": DATES, "created_date": DATES}
DATED = {"modified_date": DATES, "created_date": DATES}
EVENTS = {"modified_date": DATES, "created_date": DATES, "start_date": DATES}
MATCH_CANDIDATES = 50


def clauses(request, fields):
    try:
        return parse_filter(request.query_params.get("filter"), fields)
    except FilterError as exc:
        raise DomainError("invalid_filter", f"filter: {exc}", field="filter") from None


def _dates(queryset, clause, column):
    return queryset.filter(**{f"{column}__{clause.op}": clause.value})


def _visible_detail(organization, queryset, clause) -> Q:
    """pk__in the contacts whose visible emails (or phones) include the value."""
    if clause.field == "email_address":
        try:
            value = normalize_email(clause.value).upper()
        except InvalidValue:
            return Q(pk__in=[])
        candidates = queryset.filter(emails__normalized__iexact=value)
        ok = lambda view: any(normalize_email(e["address"]).upper() == value for e in view["emails"])  # noqa: E731
    else:
        try:
            value = parse_phone(clause.value).e164
        except InvalidValue:
            return Q(pk__in=[])
        candidates = queryset.filter(phones__number=value)
        ok = lambda view: any(p["number"] == value for p in view["phones"])  # noqa: E731
    views = render_contacts(organization, candidates.values_list("pk", flat=True)[:MATCH_CANDIDATES])
    return Q(pk__in=[pk for pk, view in views.items() if ok(view)])


def filter_people(request, organization, queryset):
    for clause in clauses(request, PEOPLE):
        if clause.field in ("email_address", "phone_number"):
            queryset = queryset.filter(_visible_detail(organization, queryset, clause))
        elif clause.field in ("given_name", "family_name"):
            queryset = queryset.filter(**{f"{clause.field}__iexact": clause.value})
        else:
            queryset = _dates(queryset, clause, "modified_at" if clause.field == "modified_date" else "created_at")
    return queryset


def filter_tags(request, queryset):
    for clause in clauses(request, TAGS):
        queryset = (queryset.filter(name=clause.value) if clause.field == "name"
                    else _dates(queryset, clause, "created_at"))
    return queryset


def filter_dates(request, queryset, modified: str = "modified_at"):
    """modified_date / created_date only (taggings, attendances, signatures, submissions, forms)."""
    for clause in clauses(request, DATED):
        queryset = _dates(queryset, clause, modified if clause.field == "modified_date" else "created_at")
    return queryset


def filter_events(request, queryset):
    columns = {"modified_date": "modified_at", "created_date": "created_at", "start_date": "starts_at"}
    for clause in clauses(request, EVENTS):
        queryset = _dates(queryset, clause, columns[clause.field])
    return queryset
