from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors over an immutable ordering: inserts and deletes never skip or repeat rows."""

    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    ordering = ("created_at", "id")
