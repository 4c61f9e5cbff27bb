"""Lists that cost the same on a table of a thousand rows and of millions (the REST API's pages
and Django admin's changelists).

A page needs the number of results for its page count. On PostgreSQL an exact COUNT(*) reads
every row; for an unfiltered list of a large table, the planner's estimate (pg_class.reltuples,
kept by VACUUM and ANALYZE) is what a page count needs. Since an estimate may fall short of the
real number, pages past it are still served, and whether a next page exists is found by
reading one row more than the page holds, not from the count.
"""

from typing import Any

from django.contrib import admin
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.utils.functional import cached_property

# Below this many rows (by the estimate), count exactly: it is cheap, and small tables are
# where an estimate can be visibly off.
EXACT_BELOW = 100_000


class _PageWithLookahead(Page):
    def __init__(self, object_list: Any, number: int, paginator: Any, *, has_more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self._has_more = has_more

    def has_next(self) -> bool:
        return self._has_more


class EstimatedCountPaginator(Paginator):
    @cached_property
    def estimated(self) -> int | None:
        """The planner's estimate of the rows, when it stands for the count; None otherwise."""
        query: Any = getattr(self.object_list, "query", None)
        if query is None or query.where or connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [query.model._meta.db_table],
            )
            row = cursor.fetchone()
        estimate = int(row[0]) if row else -1
        return estimate if estimate >= EXACT_BELOW else None

    @cached_property
    def count(self) -> int:
        estimated = self.estimated
        return super().count if estimated is None else estimated

    def validate_number(self, number: Any) -> int:
        if self.estimated is None:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number

    def page(self, number: Any) -> Page:
        if self.estimated is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        more = len(rows) > self.per_page
        return _PageWithLookahead(rows[: self.per_page], number, self, has_more=more)


class LargeTableAdmin(admin.ModelAdmin):
    """The changelist of a table that grows without bound (a ModelAdmin to build on)."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
