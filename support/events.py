"""What support tells the layers above it, without importing them.

A service publishes an event inside its transaction; the handlers that apps above support
subscribed in their `AppConfig.ready()` (chat: the sockets' notifications) run once that
transaction commits, so nobody hears of a change that was rolled back. Each handler runs on its
own: one that fails is logged and keeps neither the others nor the committed change from going
ahead.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from core.transactions import after_commit
from support.models import SupportRequest


@dataclass(frozen=True)
class RequestChanged:
    """A request was opened, or its status or expert changed. `request` is as it now stands,
    with its requester, expert and skill loaded."""

    request: SupportRequest


Event = RequestChanged
E = TypeVar("E", bound=Event)

_handlers: defaultdict[type[Any], list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Call `handler` with every `event_type` event, after the commit that published it.
    Subscribing the same handler twice has no effect."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def publish(event: Event) -> None:
    for handler in _handlers[type(event)]:
        after_commit(handler, event)
