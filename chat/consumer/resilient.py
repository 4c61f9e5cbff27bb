"""A WebSocket consumer that outlives a broken channel-layer connection.

channels' dispatch loop (`channels.utils.await_many_dispatch`) re-raises whatever
`channel_layer.receive` raises, which ends the consumer and closes the socket. With
channels_redis that happens when the Redis connection drops (a restart, a failover, CLIENT KILL).
Here the receive is retried with a short backoff instead, and the socket's groups are re-added
once the layer answers again; anything broadcast meanwhile is recovered from the database by the
catch-up of quiet rooms (chat.sync).

It also guarantees the socket's clean-up (`disconnect`: presence, groups, rooms) runs however
the consumer ends. channels runs it only on a `websocket.disconnect` event; an exception in a
handler ends the consumer without one (daphne then closes the socket with 1011), and the user
would stay online, for everyone, until the process died.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, cast, runtime_checkable

from asgiref.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    Scope,
    WebSocketDisconnectEvent,
)
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.utils import await_many_dispatch

from chat.groups import channel_layer
from core.outages import CHANNEL_LAYER, dependency_failed

logger = logging.getLogger(__name__)

RETRY_FIRST_DELAY = 0.05
RETRY_MAX_DELAY = 2.0
# The code `disconnect` is given when the consumer ended without a disconnect event: what daphne
# closes the socket with when its application fails.
CLOSE_INTERNAL_ERROR = 1011


class LayerResilientConsumer(AsyncWebsocketConsumer):
    def layer_groups(self) -> list[str]:
        """The groups this socket belongs to right now (re-added after a layer failure)."""
        return []

    def needs_layer(self, scope: Mapping[str, Any]) -> bool:
        """False for a connection that will be refused: it never touches the channel layer."""
        return True

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        # AsyncConsumer.__call__, with the channel-layer receive made to retry, and no channel
        # at all for a connection that will be refused. tests/chat/test_channels_upstream.py
        # fails when channels changes the code this replaces.
        self.scope = scope  # type: ignore[assignment]
        self.base_send = send
        receivers: list[Callable[[], Awaitable[Any]]] = [receive]
        inbox_layer: InboxLayer | None = None
        if self.needs_layer(scope):
            self.channel_layer = channel_layer(self.channel_layer_alias)
            self.channel_name = await self.channel_layer.new_channel()
            inbox_layer = _as_inbox_layer(self.channel_layer)
            if inbox_layer is None:
                receivers.append(self._receive_from_layer)
        try:
            with contextlib.suppress(StopConsumer):
                if inbox_layer is None:
                    await await_many_dispatch(receivers, self.dispatch)
                else:
                    await self._dispatch_from_inbox(receive, inbox_layer)
        finally:
            if not self.disconnect_started:
                await self._disconnect_after_failure()

    async def _dispatch_from_inbox(self, receive: ASGIReceiveCallable, layer: "InboxLayer") -> None:
        """With chat.layer: the socket's frames join the layer's events in the channel's inbox,
        and one loop dispatches both in the order they came. No task per event, and no
        reconnect handling here: the layer's receive loop reconnects and resubscribes itself."""
        inbox = layer.inbox(self.channel_name)
        pump = asyncio.create_task(_pump(receive, inbox))
        try:
            while True:
                message = await inbox.get()
                if isinstance(message, _ReceiveFailed):
                    raise message.error
                await self.dispatch(message)
        finally:
            pump.cancel()
            await asyncio.shield(layer.close_channel(self.channel_name))

    # Set once `disconnect` has been called, so it runs once, whatever ended the consumer.
    disconnect_started = False

    async def websocket_disconnect(self, message: WebSocketDisconnectEvent) -> None:
        self.disconnect_started = True
        await super().websocket_disconnect(message)

    async def _disconnect_after_failure(self) -> None:
        self.disconnect_started = True
        try:
            await self.disconnect(CLOSE_INTERNAL_ERROR)
        except Exception:
            # What ended the consumer is the exception that matters (it propagates); this one
            # is only logged.
            logger.exception("clean-up of a failed socket failed")

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first closes stale database connections, through a hop to its
        # single sync thread, before *every* event: a frame, a broadcast, a typing relay. This
        # consumer touches the ORM only through database_sync_to_async, which does that in the
        # thread that uses the connection, so the hop is pure cost on the hottest path.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def _receive_from_layer(self) -> dict[str, Any]:
        delay = RETRY_FIRST_DELAY
        recovering = False
        while True:
            try:
                if recovering:
                    # Group membership lives in Redis and survives a dropped connection, but not
                    # a Redis restart: adding again is harmless either way.
                    for group in self.layer_groups():
                        await self.channel_layer.group_add(group, self.channel_name)
                    recovering = False
                message = await self.channel_layer.receive(self.channel_name)
            except Exception as exc:
                # Any failure of the layer is retried; an outage is logged once for the whole
                # process (core.outages), not once per socket and retry.
                if dependency_failed(exc) is None:
                    logger.exception("channel layer receive failed; retrying in %.2fs", delay)
                recovering = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_DELAY)
            else:
                CHANNEL_LAYER.answered()
                return message


@runtime_checkable
class InboxLayer(Protocol):
    """A channel layer that fills a queue per channel for its consumer to read (chat.layer)."""

    def inbox(self, channel: str) -> asyncio.Queue: ...

    async def close_channel(self, channel: str) -> None: ...


# Whether each layer class is an InboxLayer, found once: a check against a Protocol walks its
# members every time, and cost a thirtieth of a handshake.
_INBOX_LAYER_CLASSES: dict[type, bool] = {}


def _as_inbox_layer(layer: object) -> "InboxLayer | None":
    kind = type(layer)
    is_inbox = _INBOX_LAYER_CLASSES.get(kind)
    if is_inbox is None:
        is_inbox = _INBOX_LAYER_CLASSES[kind] = issubclass(kind, InboxLayer)
    return cast("InboxLayer", layer) if is_inbox else None


class _ReceiveFailed:
    """In an inbox: the server's receive raised `error`, which ends the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


async def _pump(receive: ASGIReceiveCallable, inbox: asyncio.Queue) -> None:
    """Move the socket's events from the server to the inbox, until it disconnects."""
    try:
        while True:
            message = await receive()
            inbox.put_nowait(message)
            if message["type"] == "websocket.disconnect":
                return
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it
        inbox.put_nowait(_ReceiveFailed(exc))
