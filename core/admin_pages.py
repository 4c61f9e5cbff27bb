"""Django admin lists that cost the same on a table of a thousand rows and of millions.

The admin counts a list's rows twice: the whole table (the "N total" link, off with
`show_full_result_count = False`) and the filtered result, for its pages. On PostgreSQL an
exact COUNT(*) reads every row; for an unfiltered list of a large table, the planner's estimate
(pg_class.reltuples, kept by VACUUM and ANALYZE) is what the page count needs.
"""

from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property

# Below this many rows (by the estimate), count exactly: it is cheap, and small tables are
# where an estimate can be visibly off.
EXACT_BELOW = 100_000


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        query: Any = getattr(self.object_list, "query", None)
        if query is None or query.where or connection.vendor != "postgresql":
            return super().count
        table = query.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table]
            )
            row = cursor.fetchone()
        estimate = int(row[0]) if row else -1
        if estimate < EXACT_BELOW:
            return super().count
        return estimate


class LargeTableAdmin(admin.ModelAdmin):
    """The changelist of a table that grows without bound (a ModelAdmin to build on)."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
