"""A WebSocket consumer that outlives a broken channel-layer connection.

channels' dispatch loop (`channels.utils.await_many_dispatch`) re-raises whatever
`channel_layer.receive` raises, which ends the consumer and closes the socket. With
channels_redis that happens when the Redis connection drops (a restart, a failover, CLIENT KILL).
Here the receive is retried with a short backoff instead, and the socket's groups are re-added
once the layer answers again; anything broadcast meanwhile is recovered from the database by the
catch-up of quiet rooms (chat.sync).
"""

import asyncio
import contextlib
import logging

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch

logger = logging.getLogger(__name__)

RETRY_FIRST_DELAY = 0.05
RETRY_MAX_DELAY = 2.0


class LayerResilientConsumer(AsyncWebsocketConsumer):
    def layer_groups(self) -> list[str]:
        """The groups this socket belongs to right now (re-added after a layer failure)."""
        return []

    def needs_layer(self, scope) -> bool:
        """False for a connection that will be refused: it never touches the channel layer."""
        return True

    async def __call__(self, scope, receive, send):
        # Same as AsyncConsumer.__call__, with the channel-layer receive made to retry.
        self.scope = scope
        self.base_send = send
        receivers = [receive]
        self.channel_layer = None
        if self.needs_layer(scope):
            self.channel_layer = get_channel_layer(self.channel_layer_alias)
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = self._receive_from_layer
            receivers.append(self.channel_receive)
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch(receivers, self.dispatch)

    async def dispatch(self, message: dict) -> None:
        # Channels' own dispatch first closes stale database connections, through a hop to its
        # single sync thread, before *every* event: a frame, a broadcast, a typing relay. This
        # consumer touches the ORM only through database_sync_to_async, which does that in the
        # thread that uses the connection, so the hop is pure cost on the hottest path.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def _receive_from_layer(self) -> dict:
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
                return await self.channel_layer.receive(self.channel_name)
            except Exception as exc:  # noqa: BLE001 - any failure of the layer is retried
                logger.warning("channel layer receive failed (%s); retrying in %.2fs", exc, delay)
                recovering = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_DELAY)
