"""The channel layer: channels_redis's pub/sub layer, with the per-message work of a process cut.

The Redis side is unchanged (one PUBLISH per group send, on the shard of the group; one
subscriber connection per shard and process), so processes of this layer and of the stock
`channels_redis.pubsub.RedisPubSubChannelLayer` can serve side by side during a rollout. What
changes is inside a process:

- **Local delivery first.** A group send hands the event to the group's sockets in this process
  at once, then publishes it for the other processes; this process skips its own publish when
  Redis echoes it back (each event names its origin). A participant on the same process as the
  sender no longer waits for the round trip through Redis.
- **Never back to the sender.** An event naming a `sender_channel` (typing, read, and chat
  messages sent over a socket, which answer their sender with an ack of their own) is not
  delivered to that channel: it would only be dropped there.
- **Publishes batched.** The group sends made while a PUBLISH is on its way go out together in
  one pipeline (one write, one read) instead of queueing one round trip each behind a lock.
- **Subscriptions batched.** The channels and groups subscribed to (or left) while such a
  command is on its way go out together, as one `SUBSCRIBE` (or `UNSUBSCRIBE`) naming them all:
  a connect storm makes two of them per socket.
- **One decode per event.** An event is deserialized once for all the process's sockets it
  reaches, not once per socket; the receive loop blocks on the connection instead of polling it
  ten times a second.
- **An inbox per socket.** `inbox(channel)` is the queue the layer fills for a channel; a
  consumer can wait on it together with its socket's frames (chat.consumer.resilient) instead of
  a task per event.

Events delivered in the process are shared between the sockets they reach: handlers read them and
never change them.
"""

import asyncio
import itertools
import logging
import operator
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close

# The same logger as channels_redis's receive loop, so that config.log_filters treats the
# failures of this one the same way (an outage is logged once, by core.outages).
pubsub_logger = logging.getLogger("channels_redis.pubsub")

# The key naming the process (the loop's layer) that published an event.
ORIGIN_KEY = "__origin__"
SUBSCRIBE, UNSUBSCRIBE = "subscribe", "unsubscribe"
Request = TypeVar("Request")
# Receive-loop pauses: while nothing is subscribed, and after a failure (Redis unreachable).
IDLE_PAUSE_SECONDS = 0.1
FAILURE_PAUSE_SECONDS = 1.0


class PubSubChannelLayer(RedisPubSubChannelLayer):
    """What settings.CHANNEL_LAYERS names: one `_LoopLayer` per event loop, as in channels_redis.
    The methods used on every event are defined here rather than looked up through
    `__getattr__`, which builds a partial on each call."""

    def _get_layer(self) -> "_LoopLayer":
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self._get_layer().group_send(group, message)

    def group_send_soon(self, group: str, message: dict[str, Any]) -> "asyncio.Future[None]":
        """`group_send` begun now: the process's sockets have the event when this returns, and
        the publish is queued; the future ends with the publish (or its error)."""
        return self._get_layer().group_send_soon(group, message)

    async def group_add(self, group: str, channel: str) -> None:
        await self._get_layer().group_add(group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        await self._get_layer().group_discard(group, channel)

    async def receive(self, channel: str) -> dict[str, Any]:
        return await self._get_layer().receive(channel)

    def inbox(self, channel: str) -> asyncio.Queue:
        return self._get_layer().inbox(channel)

    async def close_channel(self, channel: str) -> None:
        await self._get_layer().close_channel(channel)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.origin = uuid.uuid4().hex
        self._shards: list[_Shard] = [_Shard(shard.host, self) for shard in self._shards]

    def inbox(self, channel: str) -> asyncio.Queue:
        """The queue of `channel` (made by `new_channel`), holding deserialized events."""
        return self.channels[channel]

    async def receive(self, channel: str) -> dict[str, Any]:
        if channel not in self.channels:
            await self._subscribe_to_channel(channel)
        try:
            return await self.channels[channel].get()
        except (asyncio.CancelledError, TimeoutError, GeneratorExit):
            # As channels_redis: a cancelled receive is the consumer ending.
            await asyncio.shield(self.close_channel(channel))
            raise

    async def close_channel(self, channel: str) -> None:
        """Forget a channel made by `new_channel` (its consumer has ended)."""
        if self.channels.pop(channel, None) is not None:
            await self._get_shard(channel).unsubscribe(channel)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._get_shard(channel).publish(
            channel, self.channel_layer.serialize({**message, ORIGIN_KEY: ""})
        )

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self.group_send_soon(group, message)

    def group_send_soon(self, group: str, message: dict[str, Any]) -> "asyncio.Future[None]":
        group_channel = self._get_group_channel_name(group)
        payload = self.channel_layer.serialize({**message, ORIGIN_KEY: self.origin})
        self.deliver_locally(group_channel, message)
        return self._get_shard(group_channel).publish_soon(group_channel, payload)

    def deliver_locally(self, name: str, message: dict[str, Any]) -> None:
        """Put `message` in the inbox of `name` (a channel) or of each member of `name` (a
        group) in this process, except its sender's."""
        queue = self.channels.get(name)
        if queue is not None:
            queue.put_nowait(message)
            return
        members = self.groups.get(name)
        if not members:
            return
        sender = message.get("sender_channel")
        for channel in members:
            if channel != sender and (queue := self.channels.get(channel)) is not None:
                queue.put_nowait(message)

    def received(self, name: str, data: bytes) -> None:
        """An event from Redis: for this process's sockets, unless this process sent it."""
        if name not in self.channels and name not in self.groups:
            return
        message = self.channel_layer.deserialize(data)
        if message.pop(ORIGIN_KEY, None) == self.origin:
            return  # delivered here when it was sent
        self.deliver_locally(name, message)


class _Shard(RedisSingleShardConnection):
    """One Redis server's connections: a pipelined publisher and a blocking receive loop."""

    def __init__(self, host: dict[str, Any], channel_layer: _LoopLayer) -> None:
        super().__init__(host, channel_layer)
        self.layer = channel_layer
        # PUBLISHes asked for while a pipeline is on its way, sent together as the next one.
        self._publishes = _Batches(self._publish_pipeline)
        # (SUBSCRIBE or UNSUBSCRIBE, channel) asked for while such a command is on its way, sent
        # together: each run of the same verb as one command naming all its channels.
        self._subscription_changes: _Batches[tuple[str, str]] = _Batches(
            self._send_subscription_change, kind=operator.itemgetter(0)
        )

    async def subscribe(self, channel: str) -> None:
        await self._subscription_changes.add((SUBSCRIBE, channel))

    async def unsubscribe(self, channel: str) -> None:
        await self._subscription_changes.add((UNSUBSCRIBE, channel))

    async def _send_subscription_change(self, changes: list[tuple[str, str]]) -> None:
        # As in channels_redis, a change is done once its command is sent (Redis confirms it on
        # the receiving side).
        verb = changes[0][0]
        async with self._lock:
            self._ensure_redis()
            self._ensure_receiver()
            wanted = dict.fromkeys(channel for _, channel in changes)  # in order, once each
            await self._change_subscriptions(verb, wanted)

    async def _change_subscriptions(self, verb: str, wanted: dict[str, None]) -> None:
        if verb == SUBSCRIBE:
            new = [channel for channel in wanted if channel not in self._subscribed_to]
            if new:
                await self._pubsub.subscribe(*new)
                self._subscribed_to.update(new)
        else:
            held = [channel for channel in wanted if channel in self._subscribed_to]
            if held:
                await self._pubsub.unsubscribe(*held)
                self._subscribed_to.difference_update(held)

    async def publish(self, channel: str, message: bytes) -> None:
        await self.publish_soon(channel, message)

    def publish_soon(self, channel: str, message: bytes) -> "asyncio.Future[None]":
        """Queue a PUBLISH for the next pipeline; the future ends when it has been sent. The
        order of the group sends is kept (one pipeline at a time, each in order)."""
        return self._publishes.add((channel, message))

    async def _publish_pipeline(self, messages: list[tuple[str, bytes]]) -> None:
        self._ensure_redis()
        pipeline = self._redis.pipeline(transaction=False)
        for channel, message in messages:
            pipeline.publish(channel, message)
        await pipeline.execute()

    async def flush(self) -> None:
        self._publishes.cancel()
        self._subscription_changes.cancel()
        await super().flush()

    async def _do_receiving(self) -> None:
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=None
                    )
                    if message is not None:
                        self._receive_message(message)
                else:
                    await asyncio.sleep(IDLE_PAUSE_SECONDS)
            except (asyncio.CancelledError, TimeoutError, GeneratorExit):
                raise
            except BaseException:
                pubsub_logger.exception("Unexpected exception in receive task")
                await asyncio.sleep(FAILURE_PAUSE_SECONDS)

    def _receive_message(self, message: dict[str, Any]) -> None:
        name = message["channel"]
        self.layer.received(name.decode() if isinstance(name, bytes) else name, message["data"])


class _Batches(Generic[Request]):
    """Requests made while the command for earlier ones is on its way, sent together once it
    is done, in the order made (each run of the same `kind` as one command of `send`); each
    request's future ends when its command has been sent, or with its error."""

    def __init__(
        self,
        send: Callable[[list[Request]], Awaitable[None]],
        *,
        kind: Callable[[Request], object] = lambda _: None,
    ) -> None:
        self._send = send
        self._kind = kind
        self._waiting: list[tuple[Request, asyncio.Future[None]]] = []
        self._sender: asyncio.Task[None] | None = None

    def add(self, request: Request) -> "asyncio.Future[None]":
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, done))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_all())
        return done

    def cancel(self) -> None:
        if self._sender is not None:
            self._sender.cancel()

    async def _send_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                for _, run in itertools.groupby(batch, key=lambda waiting: self._kind(waiting[0])):
                    requests = list(run)
                    await _settled(
                        [done for _, done in requests],
                        self._send([request for request, _ in requests]),
                    )
        finally:
            self._sender = None


async def _settled(callers: list["asyncio.Future[None]"], command: Awaitable[None]) -> None:
    """Send one command made for a batch of callers, and end each caller's future with how it
    went."""
    try:
        await command
    except asyncio.CancelledError:
        for done in callers:
            done.cancel()
        raise
    except Exception as exc:  # noqa: BLE001 - raised to each caller of the batch
        for done in callers:
            if not done.done():
                done.set_exception(exc)
    else:
        for done in callers:
            if not done.done():
                done.set_result(None)
