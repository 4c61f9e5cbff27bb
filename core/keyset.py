"""Keyset ("cursor") pages: the rows after (or before) a position in the list's ordering, found
through the index that serves the ordering, so page 10,000 costs what page 1 costs. OFFSET, in
contrast, reads and throws away every row before the page.

A position is the ordering's values of one row, carried by the client as an opaque cursor. The
ordering must end in a unique field (the primary key) so that every row has its own position,
and its fields must not be null.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Field, Model, Q, QuerySet


class InvalidCursor(ValueError):
    """The cursor was not made by this list (garbled, or from a list of another ordering)."""


@dataclass(frozen=True)
class Position:
    values: tuple[Any, ...]
    # True: the page ends just before this position (walking back); False: it starts after it.
    backwards: bool


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Any]
    # The cursors of the neighbouring pages, None where there is none.
    next: str | None
    previous: str | None


def ordering_of(queryset: QuerySet[Any]) -> tuple[str, ...]:
    """The queryset's ordering, checked to be one a keyset can walk."""
    ordering = tuple(str(term) for term in queryset.query.order_by)
    model = queryset.model
    names = [term.lstrip("-") for term in ordering]
    if not names or names[-1] not in ("pk", "id", model._meta.pk.name):
        raise ValueError(f"A keyset needs an ordering that ends in the primary key, not {ordering}")
    for name in names:
        field = _field(model, name)
        if field.null:
            raise ValueError(f"A keyset cannot order by {name}: it may be null")
    return ordering


def keyset_page(queryset: QuerySet[Any], *, position: Position | None, size: int) -> KeysetPage:
    """One page of `queryset` (ordered by `ordering_of`) starting after `position`, or ending
    before it, or from the start when there is no position."""
    ordering = ordering_of(queryset)
    if position is None:
        rows, more_after = _first(queryset, size)
        return KeysetPage(
            rows=rows,
            next=encode_cursor(ordering, rows[-1], backwards=False) if more_after else None,
            previous=None,
        )
    if len(position.values) != len(ordering):
        raise InvalidCursor("The cursor does not fit this list's ordering.")
    if position.backwards:
        reverse = tuple(_reversed(term) for term in ordering)
        rows, more_before = _first(
            queryset.filter(_beyond(reverse, position.values)).order_by(*reverse), size
        )
        rows.reverse()
        # Walking back from a position, there is always a row at or after it to walk forward to.
        return KeysetPage(
            rows=rows,
            next=_encode(_edge(ordering, rows[-1]) if rows else position.values, backwards=False),
            previous=encode_cursor(ordering, rows[0], backwards=True) if more_before else None,
        )
    rows, more_after = _first(queryset.filter(_beyond(ordering, position.values)), size)
    return KeysetPage(
        rows=rows,
        next=encode_cursor(ordering, rows[-1], backwards=False) if more_after else None,
        previous=_encode(_edge(ordering, rows[0]) if rows else position.values, backwards=True),
    )


def encode_cursor(ordering: tuple[str, ...], row: Model, *, backwards: bool) -> str:
    return _encode(_edge(ordering, row), backwards=backwards)


def decode_cursor(queryset: QuerySet[Any], cursor: str) -> Position:
    ordering = ordering_of(queryset)
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"=="))
        texts, backwards = raw["v"], raw["b"]
        values = tuple(
            _field(queryset.model, term.lstrip("-")).to_python(text)
            for term, text in zip(ordering, texts, strict=True)
        )
    except (ValueError, TypeError, KeyError, ValidationError) as error:
        # ValueError covers bad base64, bad UTF-8, bad JSON and a count of values that does
        # not fit the ordering (zip's strict check).
        raise InvalidCursor("This is not a cursor of this list.") from error
    if any(value is None for value in values) or not isinstance(backwards, bool):
        raise InvalidCursor("This is not a cursor of this list.")
    return Position(values=values, backwards=backwards)


def _first(queryset: QuerySet[Any], size: int) -> tuple[list[Any], bool]:
    """The first `size` rows, and whether there are more (read as one row more than asked)."""
    rows = list(queryset[: size + 1])
    return rows[:size], len(rows) > size


def _edge(ordering: tuple[str, ...], row: Model) -> tuple[Any, ...]:
    """The row's position: its values of the ordering's fields."""
    return tuple(getattr(row, _field(type(row), term.lstrip("-")).attname) for term in ordering)


def _beyond(ordering: tuple[str, ...], values: tuple[Any, ...]) -> Q:
    """The rows that come after `values` in `ordering`: (a > x) or (a = x and b > y) ..., plus
    a bound on the first field alone, which is what lets the index scan start at the position
    instead of filtering its way there."""
    after = Q()
    equal = Q()
    for term, value in zip(ordering, values, strict=True):
        name = term.lstrip("-")
        step = "lt" if term.startswith("-") else "gt"
        after |= equal & Q(**{f"{name}__{step}": value})
        equal &= Q(**{name: value})
    first = ordering[0]
    bound = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    return bound & after


def _reversed(term: str) -> str:
    return term[1:] if term.startswith("-") else f"-{term}"


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _encode(values: tuple[Any, ...], *, backwards: bool) -> str:
    texts = [_text(value) for value in values]
    raw = json.dumps({"v": texts, "b": backwards}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
