"""Channel-layer group names and events: the one way the rest of the project talks to sockets.

Every socket joins its user's personal group on connect, and a request's room group when it
joins that request. Nothing outside the consumer talks to sockets directly: it broadcasts an
event to groups, once what the event reports is committed.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable
from typing import Literal, NotRequired, TypedDict
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.core.exceptions import ImproperlyConfigured

from chat.protocol.server import MessageData, ReadFrame, ServerFrame, TypingFrame
from core.outages import CHANNEL_LAYER, dependency_failed

logger = logging.getLogger(__name__)


def channel_layer(alias: str = "default") -> BaseChannelLayer:
    """The configured channel layer (settings.CHANNEL_LAYERS always names one)."""
    layer = get_channel_layer(alias)
    if layer is None:
        raise ImproperlyConfigured(f"CHANNEL_LAYERS has no {alias!r} layer.")
    return layer


def user_group(user_id: UUID | str) -> str:
    return f"user.{UUID(str(user_id)).hex}"


def request_group(request_id: UUID | str) -> str:
    return f"request.{UUID(str(request_id)).hex}"


def queue_group(skill_id: int | None) -> str:
    """Experts' sockets, by the requests their queue shows: one group per skill, and one of
    every expert for the requests that name no skill. A queue notification is one broadcast
    to one of these, however many experts there are."""
    return "queue.any" if skill_id is None else f"queue.skill.{skill_id}"


# Channel-layer event types; the consumer has one handler for each (dots become underscores).
EVENT_FRAME = "client.frame"
EVENT_MESSAGE = "chat.message"
EVENT_TYPING = "chat.typing"
EVENT_READ = "chat.read"
EVENT_QUEUE = "chat.queue"
EVENT_CLOSE = "socket.close"


class FrameEvent(TypedDict):
    """Forward `frame` to the socket as it is."""

    type: Literal["client.frame"]
    frame: ServerFrame


class MessageEvent(TypedDict):
    """A stored chat message, delivered by seq (chat.delivery)."""

    type: Literal["chat.message"]
    message: MessageData
    # When it was committed (time.time(), by the storing process's clock), for the broadcast
    # latency metric. Absent in events of earlier releases.
    committed_at: NotRequired[float]
    # The socket that sent it, which has its ack already (chat.layer does not send it back).
    sender_channel: NotRequired[str]


class TypingEvent(TypedDict):
    """A typing relay, for every socket in the room but the sender's."""

    type: Literal["chat.typing"]
    frame: TypingFrame
    sender_channel: str


class ReadEvent(TypedDict):
    """A read position moved: for every socket in the room but `sender_channel`'s, which gets
    the frame as the answer to its own `read` (empty when it came over REST)."""

    type: Literal["chat.read"]
    frame: ReadFrame
    sender_channel: str


class QueueEvent(TypedDict):
    """`request-queued` / `request-taken` for the experts of a queue group: each socket sends
    it on if its expert is available, and is not `taker_id` (who took the request)."""

    type: Literal["chat.queue"]
    frame: ServerFrame
    taker_id: str | None


class QueueSeatEvent(TypedDict):
    """An expert's skills or availability changed: their sockets move to the queue groups of
    `skill_ids` and take `is_available` as their filter."""

    type: Literal["queue.seat"]
    skill_ids: list[int]
    is_available: bool


class CloseEvent(TypedDict):
    """Close the socket with `code` (a deactivated account, one socket too many)."""

    type: Literal["socket.close"]
    code: int


LayerEvent = (
    FrameEvent | MessageEvent | TypingEvent | ReadEvent | QueueEvent | QueueSeatEvent | CloseEvent
)


def frame_event(frame: ServerFrame) -> FrameEvent:
    return FrameEvent(type="client.frame", frame=frame)


def message_event(message: MessageData, *, sender_channel: str | None = None) -> MessageEvent:
    """Built right after the message's commit (or, over REST, just before it)."""
    event = MessageEvent(type="chat.message", message=message, committed_at=time.time())
    if sender_channel is not None:
        event["sender_channel"] = sender_channel
    return event


def queue_event(frame: ServerFrame, *, taker_id: str | None) -> QueueEvent:
    return QueueEvent(type="chat.queue", frame=frame, taker_id=taker_id)


def queue_seat_event(*, skill_ids: list[int], is_available: bool) -> QueueSeatEvent:
    return QueueSeatEvent(type="queue.seat", skill_ids=skill_ids, is_available=is_available)


def close_event(*, code: int) -> CloseEvent:
    return CloseEvent(type="socket.close", code=code)


def read_event(frame: ReadFrame, *, sender_channel: str) -> ReadEvent:
    return ReadEvent(type="chat.read", frame=frame, sender_channel=sender_channel)


def typing_event(frame: TypingFrame, *, sender_channel: str) -> TypingEvent:
    return TypingEvent(type="chat.typing", frame=frame, sender_channel=sender_channel)


async def abroadcast(groups: Iterable[str], event: LayerEvent) -> None:
    """Send one event to several groups. A channel-layer failure is logged, never raised:
    whatever was committed stays committed, and sockets catch up from the database."""
    layer = channel_layer()
    for group in dict.fromkeys(groups):
        await _sent(layer.group_send(group, dict(event)), group=group, event_type=event["type"])


def broadcast_soon(groups: Iterable[str], event: LayerEvent) -> Awaitable[None]:
    """`abroadcast` begun now: with chat.layer, the sockets of this process have the event and
    the publishes are queued when this returns, so a caller can answer its own client after it
    without the others waiting for that answer. Await the result (it never raises)."""
    layer = channel_layer()
    send_soon = getattr(layer, "group_send_soon", None)
    if send_soon is None:
        return asyncio.ensure_future(abroadcast(groups, event))
    sends = [(group, send_soon(group, dict(event))) for group in dict.fromkeys(groups)]
    return _all_sent(sends, event_type=event["type"])


async def _all_sent(sends: list[tuple[str, Awaitable[None]]], *, event_type: str) -> None:
    for group, sending in sends:
        await _sent(sending, group=group, event_type=event_type)


async def _sent(sending: Awaitable[None], *, group: str, event_type: str) -> None:
    """Wait for one group send: a failure is logged (once per outage, core.outages), never
    raised."""
    try:
        await sending
    except Exception as exc:
        if dependency_failed(exc) is None:
            logger.exception("channel layer: could not send %s to %s", event_type, group)
    else:
        CHANNEL_LAYER.answered()


def broadcast(groups: Iterable[str], event: LayerEvent) -> None:
    async_to_sync(abroadcast)(list(groups), event)
