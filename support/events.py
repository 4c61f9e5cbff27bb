"""What support announces (core.events publishes it; chat subscribes)."""

from dataclasses import dataclass
from uuid import UUID

from support.models import SupportRequest


@dataclass(frozen=True)
class RequestChanged:
    """A request was opened, or its status or expert changed. `request` is as it now stands,
    with its requester, expert and skill loaded. `previous_expert_id` is the expert it was taken
    from (a transfer, a timeout), who must hear of it too: they are no longer part of it."""

    request: SupportRequest
    previous_expert_id: UUID | None = None
    # The announcement of a new request that is waiting (RequestCreated reported it already).
    created: bool = False


@dataclass(frozen=True)
class RequestCreated:
    """A customer opened a request (published inside its transaction, before any matching)."""

    request: SupportRequest


@dataclass(frozen=True)
class ExpertQueueChanged:
    """An expert's skills or availability changed: which requests their queue shows, and
    whether they hear of queue changes at all."""

    expert_id: UUID
