"""How a lower layer tells the layers above it that something happened, without importing them.

Each app defines its own event types (accounts.events, support.events). A service publishes an
event inside its transaction; the handlers that apps above subscribed in their
`AppConfig.ready()` (chat: the sockets) run once that transaction commits, so nobody hears of a
change that was rolled back. Each handler runs on its own: one that fails is logged and keeps
neither the others nor the committed change from going ahead.

A handler subscribed with `in_transaction=True` runs at once instead, inside the publishing
transaction: what it writes (integrations' webhook outbox) commits or rolls back with the
change itself, and if it fails, the change fails with it.

Such a handler may also say, as an SQL condition, when it would write nothing (`idle_when`). A
publisher on the hottest path (a chat message) can then write its change in one autocommitted
statement that applies only while every condition holds, and take the transaction with the
handlers only when one does not: the same outcome, a quarter of the round trips.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from core.transactions import after_commit

E = TypeVar("E")

_handlers: defaultdict[type[Any], list[Callable[[Any], None]]] = defaultdict(list)
_in_transaction: defaultdict[type[Any], list[Callable[[Any], None]]] = defaultdict(list)
# SQL with its parameters, or None when the condition cannot be put in SQL right now.
IdleCondition = Callable[[], tuple[str, list[Any]] | None]
_idle_when: dict[Callable[[Any], None], IdleCondition] = {}


def subscribe(
    event_type: type[E],
    handler: Callable[[E], None],
    *,
    in_transaction: bool = False,
    idle_when: IdleCondition | None = None,
) -> None:
    """Call `handler` with every `event_type` event, after the commit that published it (or,
    `in_transaction`, at once inside it). Subscribing the same handler twice has no effect.

    `idle_when` (in-transaction handlers only) returns an SQL condition that is true when the
    handler would write nothing, as read in the publisher's statement (`idle_conditions`)."""
    handlers = (_in_transaction if in_transaction else _handlers)[event_type]
    if handler not in handlers:
        handlers.append(handler)
    if idle_when is not None:
        if not in_transaction:
            raise ValueError("idle_when is for handlers that write in the transaction")
        _idle_when[handler] = idle_when


def idle_conditions(event_type: type[Any]) -> list[tuple[str, list[Any]]] | None:
    """The SQL conditions under which no in-transaction handler of `event_type` writes anything
    (an empty list when there are no such handlers), or None if one of them cannot say."""
    conditions = []
    for handler in _in_transaction[event_type]:
        idle_when = _idle_when.get(handler)
        condition = idle_when() if idle_when is not None else None
        if condition is None:
            return None
        conditions.append(condition)
    return conditions


def handled_after_commit(event_type: type[Any]) -> bool:
    """Whether some handler of `event_type` runs after the commit (it may use the ORM)."""
    return bool(_handlers[event_type])


def publish(event: object, *, handlers_idle: bool = False) -> None:
    """Run the in-transaction handlers now, the others after the commit. `handlers_idle`: the
    publisher has checked, in the statement that wrote the change, that every in-transaction
    handler would write nothing (`idle_conditions`), so they are not called."""
    if not handlers_idle:
        for handler in _in_transaction[type(event)]:
            handler(event)
    for handler in _handlers[type(event)]:
        after_commit(handler, event)
