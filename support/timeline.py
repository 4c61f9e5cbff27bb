"""A request's timeline: every lifecycle change is recorded here, in the transaction that makes
it (the caller's), and announced to the layers above on commit.

`lifecycle_changed` is the one way a service reports a change of status or expert: recording
and announcing together is what keeps the timeline and the `request-updated` frames from ever
disagreeing. Reviews, which change no status, only record (`request_event_record`)."""

from typing import Any
from uuid import UUID

from accounts.models import User
from core.events import publish
from support.events import RequestChanged
from support.models import RequestEvent, RequestEventKind, SupportRequest


def person(user: User | None) -> dict[str, str] | None:
    """How the timeline names someone: {id, name}, as the request object does."""
    return None if user is None else {"id": str(user.pk), "name": user.name}


def request_event_record(
    *,
    request_id: UUID,
    event: RequestEventKind,
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
) -> RequestEvent:
    """Add an entry to the request's timeline. Call it inside the transaction of the change."""
    return RequestEvent.objects.create(
        request_id=request_id, event=event, actor=actor, detail=detail or {}
    )


def lifecycle_changed(
    request: SupportRequest,
    *,
    event: RequestEventKind,
    actor: User | None,
    detail: dict[str, Any] | None = None,
    previous_expert_id: UUID | None = None,
) -> None:
    """Record the change and announce it once committed. `request` is as it now stands (with
    requester, expert and skill loaded); `previous_expert_id` is the expert it just left."""
    request_event_record(request_id=request.pk, event=event, actor=actor, detail=detail)
    publish(RequestChanged(request=request, previous_expert_id=previous_expert_id))
