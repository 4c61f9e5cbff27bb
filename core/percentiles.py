"""Percentiles of durations, computed by the database.

PostgreSQL has `percentile_cont`, an ordered-set aggregate: the figures come out of one query,
per group if asked. SQLite has no such aggregate: there the durations are computed and sorted by
the database, and interpolated here exactly as percentile_cont does (linearly between the two
nearest ranks), so both give the same figures on the same rows.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, QuerySet
from django.db.models.expressions import Combinable, Expression
from django.db.models.sql.compiler import SQLCompiler

# The figures reported, by name.
FRACTIONS = {"p50": 0.5, "p90": 0.9}


class Seconds(Func):
    """`end - start` in seconds (a float; null if either is null)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_postgresql(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            # EXTRACT gives a numeric; percentile_cont and Python want a double.
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
        )

    def as_sqlite(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> Any:
        # Django's own SQLite function for datetime differences: exact microseconds (julianday
        # arithmetic would be off by microseconds).
        return self.as_sql(
            compiler,
            connection,
            template="(django_timestamp_diff(%(expressions)s) / 1000000.0)",
            arg_joiner=", ",
        )


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, *, fraction: float) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError(f"fraction must be within [0, 1], got {fraction}")
        # A number of ours, never input: safe to write into the SQL.
        super().__init__(expression, fraction=repr(float(fraction)))


@dataclass(frozen=True)
class Percentiles:
    """p50 and p90 in seconds (None without data), and how many durations they are of."""

    p50: float | None
    p90: float | None
    count: int


NO_DATA = Percentiles(p50=None, p90=None, count=0)


def duration_percentiles(
    rows: QuerySet[Any],
    *,
    seconds: Expression,
    group: Combinable | None = None,
    in_database: bool | None = None,
) -> dict[Any, Percentiles]:
    """The percentiles of `seconds` over `rows` (those where it is not null), per value of
    `group` (one group, keyed None, without it). `in_database`: percentile_cont (PostgreSQL's
    default) or the sorted durations interpolated here (the default elsewhere)."""
    if in_database is None:
        in_database = connection.vendor == "postgresql"
    rows = rows.annotate(seconds=seconds, group=group if group is not None else F("pk"))
    rows = rows.filter(seconds__isnull=False).order_by()
    if in_database:
        return _aggregated(rows, grouped=group is not None)
    return _interpolated(rows, grouped=group is not None)


@dataclass(frozen=True)
class Breakdown:
    """Percentiles over all the rows, and per group."""

    overall: Percentiles
    by_group: dict[Any, Percentiles]


def duration_breakdown(
    rows: QuerySet[Any],
    *,
    seconds: Expression,
    group: Combinable,
    in_database: bool | None = None,
) -> Breakdown:
    overall = duration_percentiles(rows, seconds=seconds, in_database=in_database)
    return Breakdown(
        overall=overall.get(None, NO_DATA),
        by_group=duration_percentiles(rows, seconds=seconds, group=group, in_database=in_database),
    )


def _aggregated(rows: QuerySet[Any], *, grouped: bool) -> dict[Any, Percentiles]:
    figures = {name: PercentileCont("seconds", fraction=f) for name, f in FRACTIONS.items()}
    if not grouped:
        overall = rows.aggregate(count=Count("pk"), **figures)
        return {None: _percentiles(overall)} if overall["count"] else {}
    by_group = rows.values("group").annotate(count=Count("pk"), **figures)
    return {row["group"]: _percentiles(row) for row in by_group}


def _percentiles(row: dict[str, Any]) -> Percentiles:
    return Percentiles(p50=row["p50"], p90=row["p90"], count=row["count"])


def _interpolated(rows: QuerySet[Any], *, grouped: bool) -> dict[Any, Percentiles]:
    ordering = ("group", "seconds") if grouped else ("seconds",)
    sorted_rows = rows.order_by(*ordering).values_list("group", "seconds")
    result = {}
    for key, pairs in groupby(sorted_rows, key=lambda pair: pair[0] if grouped else None):
        durations = [duration for _, duration in pairs]
        result[key] = Percentiles(
            p50=interpolated(durations, FRACTIONS["p50"]),
            p90=interpolated(durations, FRACTIONS["p90"]),
            count=len(durations),
        )
    return result


def interpolated(ascending: Sequence[float], fraction: float) -> float | None:
    """What percentile_cont(fraction) gives for these values (sorted ascending): the value at
    rank fraction * (n - 1), interpolated linearly between the two ranks around it."""
    if not ascending:
        return None
    position = fraction * (len(ascending) - 1)
    below, above = math.floor(position), math.ceil(position)
    low, high = ascending[below], ascending[above]
    return low + (high - low) * (position - below)
