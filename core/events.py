"""How a lower layer tells the layers above it that something happened, without importing them.

Each app defines its own event types (accounts.events, support.events). A service publishes an
event inside its transaction; the handlers that apps above subscribed in their
`AppConfig.ready()` (chat: the sockets) run once that transaction commits, so nobody hears of a
change that was rolled back. Each handler runs on its own: one that fails is logged and keeps
neither the others nor the committed change from going ahead.

A handler subscribed with `in_transaction=True` runs at once instead, inside the publishing
transaction: what it writes (integrations' webhook outbox) commits or rolls back with the
change itself, and if it fails, the change fails with it.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from core.transactions import after_commit

E = TypeVar("E")

_handlers: defaultdict[type[Any], list[Callable[[Any], None]]] = defaultdict(list)
_in_transaction: defaultdict[type[Any], list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(
    event_type: type[E], handler: Callable[[E], None], *, in_transaction: bool = False
) -> None:
    """Call `handler` with every `event_type` event, after the commit that published it (or,
    `in_transaction`, at once inside it). Subscribing the same handler twice has no effect."""
    handlers = (_in_transaction if in_transaction else _handlers)[event_type]
    if handler not in handlers:
        handlers.append(handler)


def recorded_in_transaction(event_type: type[Any]) -> bool:
    """Whether publishing `event_type` writes in the publisher's transaction (so the publisher
    must hold one open)."""
    return bool(_in_transaction[event_type])


def publish(event: object) -> None:
    for handler in _in_transaction[type(event)]:
        handler(event)
    for handler in _handlers[type(event)]:
        after_commit(handler, event)
