"""OSDI collection pages: `page` / `per_page` in, `total_pages`, `per_page`, `page`, `total_records`,
`_links.self/next/prev` and `_embedded[osdi:<kind>]` out. A page past the last is an empty page (clients such as
parsons read pages until one comes back empty), never a 404. Ordering is (created_at, id) ascending, so rows
created while a client walks the pages land on later pages instead of shifting earlier ones."""
import math
from urllib.parse import urlencode

from organizations.errors import DomainError

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
CURIES = [{"name": "osdi", "href": "https://opensupporter.github.io/osdi-docs/{rel}", "templated": True}]


def _positive_int(request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise DomainError("invalid_parameter", f"{name} must be a positive integer, not {raw!r}", field=name)
    return value


def page_url(request, page: int) -> str:
    params = {k: v for k, v in request.query_params.items()}
    params["page"] = page
    return request.build_absolute_uri(request.path) + "?" + urlencode(params)


def paginate(request, queryset, *, kind: str, render) -> dict:
    """One page of `queryset` as an OSDI collection; `render(objects)` turns the page's rows into records."""
    page = _positive_int(request, "page", 1)
    per_page = min(_positive_int(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    total = queryset.count()
    total_pages = math.ceil(total / per_page)
    start = (page - 1) * per_page
    rows = list(queryset[start:start + per_page]) if start < total else []
    records = render(rows)
    links = {"self": {"href": page_url(request, page)},
             f"osdi:{kind}": [{"href": r["_links"]["self"]["href"]} for r in records],
             "curies": CURIES}
    if page < total_pages:
        links["next"] = {"href": page_url(request, page + 1)}
    if 1 < page <= total_pages + 1:
        links["prev"] = {"href": page_url(request, min(page - 1, max(total_pages, 1)))}
    return {"total_pages": total_pages, "per_page": per_page, "page": page, "total_records": total,
            "_links": links, "_embedded": {f"osdi:{kind}": records}}
