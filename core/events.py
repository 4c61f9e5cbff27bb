"""How a lower layer tells the layers above it that something happened, without importing them.

Each app defines its own event types (accounts.events, support.events). A service publishes an
event inside its transaction; the handlers that apps above subscribed in their
`AppConfig.ready()` (chat: the sockets) run once that transaction commits, so nobody hears of a
change that was rolled back. Each handler runs on its own: one that fails is logged and keeps
neither the others nor the committed change from going ahead.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from core.transactions import after_commit

E = TypeVar("E")

_handlers: defaultdict[type[Any], list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Call `handler` with every `event_type` event, after the commit that published it.
    Subscribing the same handler twice has no effect."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def publish(event: object) -> None:
    for handler in _handlers[type(event)]:
        after_commit(handler, event)
