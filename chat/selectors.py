"""Reads shared by the chat REST API and the WebSocket consumer."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import F

from accounts.models import User
from chat.models import Message
from core.errors import NotActive, NotAllowed
from core.percentiles import Breakdown, Seconds, duration_breakdown
from support.models import RequestStatus, SupportRequest
from support.selectors import request_get_visible

REPLAY_BATCH = 500


def request_for_participant(*, request_id: UUID | str, user: User) -> SupportRequest:
    """The request if the user takes part in it; staff who may only watch get NotAllowed, and
    anyone else NotFound (see request_get_visible)."""
    request = request_get_visible(request_id=request_id, user=user)
    if not request.is_participant(user):
        raise NotAllowed("Only the requester and the assigned expert take part in this chat.")
    return request


def active_request_for_participant(*, request_id: UUID | str, user: User) -> SupportRequest:
    """What joining a chat room needs: a participant, and the request ACTIVE."""
    request = request_for_participant(request_id=request_id, user=user)
    if request.status != RequestStatus.ACTIVE:
        raise NotActive("The request is not active.")
    return request


def messages_in_range(
    *,
    request_id: UUID,
    after_seq: int,
    up_to_seq: int | None = None,
    limit: int | None = None,
) -> list[Message]:
    """Messages with after_seq < seq <= up_to_seq, ascending by seq."""
    messages = Message.objects.filter(request_id=request_id, seq__gt=after_seq)
    if up_to_seq is not None:
        messages = messages.filter(seq__lte=up_to_seq)
    messages = messages.select_related("sender").prefetch_related("attachments").order_by("seq")
    return list(messages[:limit] if limit is not None else messages)


def request_last_seqs(*, request_ids: list[str]) -> dict[str, int]:
    """The newest seq of each request, in one query."""
    rows = SupportRequest.objects.filter(pk__in=request_ids).values_list("pk", "last_seq")
    return {str(pk): last_seq for pk, last_seq in rows}


@dataclass(frozen=True)
class MessagePage:
    results: list[Message]
    has_more: bool


def message_history(
    *, request_id: UUID, after: int | None, before: int | None, limit: int
) -> MessagePage:
    """A page of history, ascending by seq.

    Without `before`: the first `limit` messages after `after` (default: from the start);
    `has_more` says newer ones follow. With `before`: the last `limit` messages before it (and
    after `after`, if given), still ascending; `has_more` says older ones precede them.
    """
    messages = (
        Message.objects.filter(request_id=request_id)
        .select_related("sender")
        .prefetch_related("attachments")
    )
    if after is not None:
        messages = messages.filter(seq__gt=after)
    if before is None:
        page = list(messages.order_by("seq")[: limit + 1])
        return MessagePage(results=page[:limit], has_more=len(page) > limit)
    page = list(messages.filter(seq__lt=before).order_by("-seq")[: limit + 1])
    return MessagePage(results=page[:limit][::-1], has_more=len(page) > limit)


def first_response_times(*, since: datetime, in_database: bool | None = None) -> Breakdown:
    """Seconds from opening a request to the first message of an expert in it (anyone but the
    requester writes as its expert), of the requests opened since `since` that got one:
    overall, and per the expert who wrote that message. Read from the request, where storing
    that message recorded it (chat.services)."""
    answered = SupportRequest.objects.filter(created_at__gte=since, first_response_at__isnull=False)
    return duration_breakdown(
        answered,
        seconds=Seconds(F("first_response_at"), F("created_at")),
        group=F("first_responder_id"),
        in_database=in_database,
    )
