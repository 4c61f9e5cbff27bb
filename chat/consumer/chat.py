"""The one WebSocket a client keeps open: rooms, messages, typing, presence, notifications.

Frames are parsed and built by chat.protocol, the work is done by services and selectors, and
message ordering is chat.delivery's job; this class only wires them to the socket.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar
from uuid import UUID

from django.conf import settings

from accounts.models import User
from chat.async_db import in_worker_thread
from chat.async_store import message_store_alone
from chat.consumer.queue import QueueSeats
from chat.consumer.ratelimit import TokenBucket
from chat.consumer.resilient import LayerResilientConsumer
from chat.delivery import Delivery, Room
from chat.groups import (
    CloseEvent,
    FrameEvent,
    MessageEvent,
    ReadEvent,
    TypingEvent,
    abroadcast,
    broadcast_soon,
    message_event,
    read_event,
    request_group,
    typing_event,
    user_group,
)
from chat.hub import ProcessHub
from chat.middleware import (
    BEARER_SUBPROTOCOL,
    active_user,
    socket_token,
    token_leeway,
    verify_access_token,
)
from chat.presence import presence_frame_of
from chat.protocol.client import (
    CLIENT_FRAMES,
    Authenticate,
    ClientFrame,
    FrameError,
    JoinRequest,
    LeaveRequest,
    Read,
    RoomFrame,
    SendMessage,
    Typing,
    parse_frame,
)
from chat.protocol.server import (
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_TOKEN_EXPIRED,
    MessageData,
    RequestData,
    ServerFrame,
    authenticated_frame,
    error_code_for,
    error_frame,
    frame_text,
    joined_frame,
    left_frame,
    new_message_frame,
    read_frame,
    typing_frame,
)
from chat.selectors import REPLAY_BATCH, active_request_for_participant, messages_in_range
from chat.serializers import message_data
from chat.services import ReadPosition, message_store, read_position_move
from chat.sync import last_seqs
from core import log_context
from core.errors import DomainError
from core.metrics import (
    BROADCAST_SECONDS,
    ERROR_FRAMES,
    FRAMES_RECEIVED,
    HANDSHAKE_SECONDS,
    HANDSHAKES_ACCEPTED,
    HANDSHAKES_REFUSED,
    OPEN_SOCKETS,
)
from core.outages import dependency_failed
from support.models import SupportRequest

logger = logging.getLogger(__name__)
# One line when a socket opens and one when it closes, with its socket and user ids; written
# with LOG_FORMAT=json, where it replaces daphne's access log (config.daphne_main).
socket_log = logging.getLogger("chat.sockets")

# What a client is told to wait before retrying a frame the server failed (an outage, usually).
SERVER_ERROR_RETRY_AFTER = 2
# Frames a socket may have waiting to be processed; past this they are refused (rate_limited).
PENDING_FRAMES = 32
# Typing indicators beyond this are dropped silently; they are hints, not messages.
TYPING_RATE, TYPING_BURST = 5.0, 10
# The counter of each frame type, looked up once: half the cost of an increment on every frame.
FRAMES_OF_TYPE = {kind.type: FRAMES_RECEIVED.labels(kind.type) for kind in CLIENT_FRAMES}
INVALID_FRAMES = FRAMES_RECEIVED.labels("invalid")


@in_worker_thread
def fetch_messages(request_id: str, after_seq: int, up_to_seq: int) -> list[MessageData]:
    messages = messages_in_range(
        request_id=UUID(request_id), after_seq=after_seq, up_to_seq=up_to_seq, limit=REPLAY_BATCH
    )
    return [message_data(message) for message in messages]


@in_worker_thread
def store_message(
    *,
    request_id: str,
    sender: User,
    content: str,
    client_id: str | None,
    attachment_ids: tuple[str, ...],
) -> tuple[MessageData, bool]:
    message, created = message_store(
        request_id=request_id,
        sender=sender,
        content=content,
        client_id=client_id,
        attachment_ids=[UUID(attachment_id) for attachment_id in attachment_ids],
    )
    return message_data(message), created


@in_worker_thread
def move_read_position(*, request_id: str, user: User, seq: int) -> ReadPosition:
    return read_position_move(request_id=request_id, user=user, seq=seq)


class ChatConsumer(QueueSeats, LayerResilientConsumer):
    def __init__(self, *, hub: ProcessHub) -> None:
        super().__init__()
        self.hub = hub
        # Set once the handshake is accepted; a refused one never gets further than connect().
        self.user: User | None = None
        self.token_exp = 0
        self.delivery = Delivery(
            send_frame=self.send_frame, fetch_messages=fetch_messages, room_sync=hub.room_sync
        )
        self.messages_bucket = TokenBucket(
            rate=settings.WS_MESSAGE_RATE, burst=settings.WS_MESSAGE_BURST
        )
        self.typing_bucket = TokenBucket(rate=TYPING_RATE, burst=TYPING_BURST)
        # The last state (status, expert) this socket forwarded for each request (_already_told).
        self.request_states: dict[str, tuple[str, str | None]] = {}
        # Held while joining a room or leaving one the user no longer takes part in, so a
        # transfer announced in the middle of a join still takes the socket out of the room.
        self.membership = asyncio.Lock()
        # Frames read but not yet acted on; bounded, so a flood cannot grow server memory. Made,
        # with the task that works through it, when the first frame arrives: most sockets sit
        # idle most of the time, and each costs memory for as long as it is open.
        self.pending: asyncio.Queue[ClientFrame] | None = None
        self.worker: asyncio.Task[None] | None = None
        # Closes the socket when its token expires: a timer, not a task, for the same reason.
        self.expiry: asyncio.TimerHandle | None = None
        self.closing: asyncio.Task[None] | None = None
        # This runs in the socket's own task: every line it logs from here on carries the id.
        log_context.socket_id.set(uuid.uuid4().hex[:16])
        self.started_at = time.monotonic()
        self.accepted = False

    # --- lifecycle ----------------------------------------------------------------------------

    def needs_layer(self, scope: Mapping[str, Any]) -> bool:
        return socket_token(scope) is not None

    async def connect(self) -> None:
        token = socket_token(self.scope)
        user = None
        if token is not None:
            user = await self.hub.presence.socket_opened(
                channel_name=self.channel_name, user_id=token.user_id
            )
        if token is None or user is None:
            # No valid token, or no such active user. Before accept: the handshake is answered
            # with 403.
            HANDSHAKES_REFUSED.labels("unauthenticated").inc()
            await self.close()
            return
        self.user = user
        log_context.user_id.set(str(user.pk))
        self.token_exp = token.exp
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        if user.is_expert:
            await self.take_queue_seat(user_id=user.pk)
        offered = self.scope.get("subprotocols") or []
        await self.accept(subprotocol=BEARER_SUBPROTOCOL if BEARER_SUBPROTOCOL in offered else None)
        self.accepted = True
        OPEN_SOCKETS.inc()
        HANDSHAKES_ACCEPTED.inc()
        HANDSHAKE_SECONDS.observe(time.monotonic() - self.started_at)
        if settings.LOG_FORMAT == "json":
            socket_log.info("socket opened")
        self._close_when_token_expires()

    async def disconnect(self, code: int) -> None:
        if self.accepted:
            self.accepted = False
            OPEN_SOCKETS.dec()
            if settings.LOG_FORMAT == "json":
                socket_log.info("socket closed (%s)", code)
        if self.user is None:
            return
        if self.expiry is not None:
            self.expiry.cancel()
        if self.worker is not None:
            self.worker.cancel()
        for group in self.layer_groups():
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception as exc:  # noqa: BLE001 - the groups expire on their own
                logger.warning("channel layer group_discard failed (%s)", exc)
        self.delivery.forget_all()
        await self.hub.presence.socket_closed(channel_name=self.channel_name, user_id=self.user.pk)

    def layer_groups(self) -> list[str]:
        if self.user is None:
            return []
        rooms = [request_group(request_id) for request_id in self.delivery.rooms]
        return [user_group(self.user.pk), *self.queue_groups(), *rooms]

    def _signed_in(self) -> User:
        assert self.user is not None  # frames are only read from an accepted socket
        return self.user

    def _close_when_token_expires(self) -> None:
        # Re-read the deadline when the timer fires: `authenticate` may have pushed it back.
        remaining = self.token_exp + token_leeway().total_seconds() - time.time()
        if remaining > 0:
            self.expiry = asyncio.get_running_loop().call_later(
                remaining, self._close_when_token_expires
            )
        elif self.closing is None:
            self.closing = asyncio.create_task(self.close(code=CLOSE_TOKEN_EXPIRED))

    # --- client frames ------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Check a frame the moment it arrives and queue it for `_work_forever`. Nothing here
        waits, so frames are read as fast as they come: the rate limit sees their real arrival
        times, and a client sending faster than the server works is told so at once instead of
        piling frames up in server memory."""
        if text_data is None:
            INVALID_FRAMES.inc()
            await self.send_frame(error_frame("invalid_payload", "Frames must be JSON text."))
            return
        # A character is at least one byte: only long frames need encoding to be measured.
        limit = settings.WS_MAX_FRAME_BYTES
        if len(text_data) > limit // 4 and len(text_data.encode("utf-8")) > limit:
            await self.close(code=CLOSE_MESSAGE_TOO_BIG)
            return
        try:
            frame = parse_frame(text_data)
        except FrameError as exc:
            INVALID_FRAMES.inc()
            await self.send_frame(
                error_frame(exc.code, exc.detail, ref=exc.ref, request_id=exc.request_id)
            )
            return
        FRAMES_OF_TYPE[frame.type].inc()
        try:
            self._admit(frame)
        except FrameError as exc:
            await self.send_frame(
                error_frame(exc.code, exc.detail, ref=exc.ref, request_id=exc.request_id)
            )

    def _admit(self, frame: ClientFrame) -> None:
        """Queue the frame, within the rate limits and the queue's bound (FrameError if not)."""
        if self.pending is None:
            self.pending = asyncio.Queue(maxsize=PENDING_FRAMES)
            self.worker = asyncio.create_task(self._work_forever(self.pending))
        if isinstance(frame, Typing):
            # Typing indicators are hints: a flood of them is thinned silently.
            if self.typing_bucket.take() and not self.pending.full():
                self.pending.put_nowait(frame)
            return
        if isinstance(frame, SendMessage) and not self.messages_bucket.take():
            raise FrameError(
                "rate_limited",
                f"More than {settings.WS_MESSAGE_RATE:g} messages a second; nothing was stored.",
                ref=frame.ref,
                request_id=frame.room,
            )
        if self.pending.full():
            raise FrameError(
                "rate_limited",
                "Too many frames waiting to be processed; nothing was done. Slow down.",
                ref=frame.ref,
                request_id=frame.room,
            )
        self.pending.put_nowait(frame)

    async def _work_forever(self, pending: asyncio.Queue[ClientFrame]) -> None:
        """Act on queued frames one at a time, in the order they came."""
        while True:
            frame = await pending.get()
            try:
                await self.handle(frame)
            except FrameError as exc:
                error = error_frame(exc.code, exc.detail, ref=exc.ref, request_id=exc.request_id)
                await self.send_frame(error)
            except DomainError as exc:
                error = error_frame(
                    error_code_for(exc), exc.detail, ref=frame.ref, request_id=frame.room
                )
                await self.send_frame(error)
            except Exception as exc:
                # Never let one frame take the socket down; the client may retry it. An outage
                # of the database or Redis is logged once (core.outages), not per frame.
                if dependency_failed(exc) is None:
                    logger.exception("frame %s failed", frame.type)
                error = error_frame(
                    "server_error",
                    "The server could not process this frame; nothing was half-done. Retry it "
                    "after retry_after seconds.",
                    ref=frame.ref,
                    request_id=frame.room,
                    retry_after=SERVER_ERROR_RETRY_AFTER,
                )
                await self.send_frame(error)

    async def handle(self, frame: ClientFrame) -> None:
        await self.handlers[type(frame)](self, frame)

    def _joined_room(self, frame: RoomFrame) -> Room:
        room = self.delivery.rooms.get(frame.request_id)
        if room is None:
            raise FrameError(
                "not_joined",
                "Join the request first (join-request).",
                ref=frame.ref,
                request_id=frame.request_id,
            )
        return room

    async def join_request(self, frame: JoinRequest) -> None:
        user = self._signed_in()
        async with self.membership:
            request = await self._join(frame, user)
        # Presence frames only report changes; a client entering a room also needs to know
        # where the other participant stands right now.
        other = request.expert_id if request.requester_id == user.pk else request.requester_id
        current = await in_worker_thread(presence_frame_of)(user_id=other)
        if current is not None:
            await self.send_frame(current)

    async def _join(self, frame: JoinRequest, user: User) -> SupportRequest:
        request_id = frame.request_id
        request = await in_worker_thread(active_request_for_participant)(
            request_id=request_id, user=user
        )
        # Join the group before reading the room's last seq: every message committed after
        # that read is then broadcast to us, and every one before it is in the database.
        await self.channel_layer.group_add(request_group(request_id), self.channel_name)
        db_last = (await last_seqs([request_id]))[request_id]
        start = db_last if frame.after_seq is None else min(frame.after_seq, db_last)
        if db_last - start > settings.WS_REPLAY_MAX and not self.delivery.is_joined(request_id):
            await self.channel_layer.group_discard(request_group(request_id), self.channel_name)
            raise FrameError(
                "backlog_too_long",
                f"{db_last - start} messages after seq {start}, more than one join replays "
                f"({settings.WS_REPLAY_MAX}): read them with GET /api/requests/{request_id}/"
                f"messages/?after={start}, then join with the last seq you have.",
                ref=frame.ref,
                request_id=request_id,
            )
        room = self.delivery.join(request_id, last_seq=start)
        async with room.lock:
            if frame.after_seq is not None:
                room.last_seq = min(frame.after_seq, db_last)
            # The first batch before `joined`, the rest after it: a long backlog does not hold
            # the answer (nor the socket's next frames) back.
            await self.delivery.fill_one_batch_locked(request_id, room, up_to_seq=db_last)
            backlog = db_last - room.last_seq
            joined = joined_frame(
                request_id=request_id, last_seq=room.last_seq, backlog=backlog, ref=frame.ref
            )
            await self.send_frame(joined)
        if backlog:
            self.delivery.stream_backlog(request_id, up_to_seq=db_last)
        return request

    async def leave_request(self, frame: LeaveRequest) -> None:
        self._joined_room(frame)
        self.delivery.forget(frame.request_id)
        await self.channel_layer.group_discard(request_group(frame.request_id), self.channel_name)
        await self.send_frame(left_frame(request_id=frame.request_id, ref=frame.ref))

    async def send_message(self, frame: SendMessage) -> None:
        room = self._joined_room(frame)
        published = None
        # Holding the room's lock from the write to the ack keeps the catch-up of quiet rooms
        # (chat.sync) from delivering our own message first, which would leave the ack without
        # its ref.
        async with room.lock:
            stored = None
            if not frame.attachment_ids:
                stored = await message_store_alone(
                    request_id=frame.request_id,
                    sender=self._signed_in(),
                    content=frame.content,
                    client_id=frame.client_id,
                )
            if stored is not None:
                message, created = stored, True
            else:
                message, created = await store_message(
                    request_id=frame.request_id,
                    sender=self._signed_in(),
                    content=frame.content,
                    client_id=frame.client_id,
                    attachment_ids=frame.attachment_ids,
                )
            if created:
                # Committed: tell the room (other processes included), before the ack, so the
                # other participant does not wait for it. Sent from here rather than from the
                # worker thread, which would otherwise wait on this loop to do it.
                event = message_event(message, sender_channel=self.channel_name)
                published = broadcast_soon([request_group(frame.request_id)], event)
            # The sender's ack comes from the stored row, not the broadcast, so a channel-layer
            # failure after commit cannot lose it; the broadcast echo is then a duplicate.
            if created or message["seq"] > room.last_seq:
                await self.delivery.deliver_locked(frame.request_id, room, message, ref=frame.ref)
            else:
                # A repeated client_id: answer with the original, already delivered, message.
                await self.send_frame(new_message_frame(message, ref=frame.ref))
        if published is not None:
            await published

    async def typing(self, frame: Typing) -> None:
        self._joined_room(frame)
        relay = typing_frame(
            request_id=frame.request_id,
            user_id=str(self._signed_in().pk),
            is_typing=frame.is_typing,
        )
        event = typing_event(relay, sender_channel=self.channel_name)
        await abroadcast([request_group(frame.request_id)], event)

    async def read(self, frame: Read) -> None:
        self._joined_room(frame)
        user = self._signed_in()
        position = await move_read_position(request_id=frame.request_id, user=user, seq=frame.seq)
        answer = read_frame(
            request_id=frame.request_id, user_id=str(user.pk), seq=position.seq, ref=frame.ref
        )
        await self.send_frame(answer)
        if position.moved:
            event = read_event(position.frame, sender_channel=self.channel_name)
            await abroadcast([request_group(frame.request_id)], event)

    async def authenticate(self, frame: Authenticate) -> None:
        verified = verify_access_token(frame.token)
        if verified is None:
            raise FrameError("invalid_payload", "The token is invalid or expired.", ref=frame.ref)
        user = self._signed_in()
        if verified.user_id != str(user.pk) or await active_user(verified.user_id) is None:
            raise FrameError(
                "access_denied", "The token is not valid for this socket's user.", ref=frame.ref
            )
        self.token_exp = max(self.token_exp, verified.exp)
        await self.send_frame(authenticated_frame(exp=self.token_exp, ref=frame.ref))

    # What acts on each type of client frame.
    handlers: ClassVar[dict[type[ClientFrame], Callable[[Any, Any], Awaitable[None]]]] = {
        JoinRequest: join_request,
        LeaveRequest: leave_request,
        SendMessage: send_message,
        Typing: typing,
        Read: read,
        Authenticate: authenticate,
    }

    # --- channel-layer events -----------------------------------------------------------------

    async def chat_message(self, event: MessageEvent) -> None:
        if event.get("sender_channel") == self.channel_name:
            return  # its ack came first (and chat.layer does not even send it back)
        message = event["message"]
        try:
            delivered = await self.delivery.deliver(message["request_id"], message)
            committed_at = event.get("committed_at")
            if delivered and committed_at is not None:
                BROADCAST_SECONDS.observe(max(0.0, time.time() - committed_at))
        except Exception as exc:  # e.g. the database is unreachable during a gap fill
            if dependency_failed(exc) is None:
                logger.exception("delivery failed; the catch-up of quiet rooms will retry")

    async def chat_typing(self, event: TypingEvent) -> None:
        relay = event["frame"]
        if event.get("sender_channel") != self.channel_name and self.delivery.is_joined(
            relay["request_id"]
        ):
            await self.send_frame(relay)

    async def chat_read(self, event: ReadEvent) -> None:
        frame = event["frame"]
        if event["sender_channel"] != self.channel_name and self.delivery.is_joined(
            frame["request_id"]
        ):
            await self.send_frame(frame)

    async def client_frame(self, event: FrameEvent) -> None:
        frame = event["frame"]
        if frame["type"] != "request-updated":
            await self.send_frame(frame)
            return
        request = frame["request"]
        if self._already_told(request):
            return
        await self.send_frame(frame)
        if not self._takes_part(request):
            # Transferred away from this expert: the room is no longer theirs to hear.
            await self._leave_room(request["id"])

    def _takes_part(self, request: RequestData) -> bool:
        expert = request["expert"]
        user_id = str(self._signed_in().pk)
        return user_id == request["user"]["id"] or (expert is not None and user_id == expert["id"])

    async def _leave_room(self, request_id: str) -> None:
        async with self.membership:
            if self.delivery.is_joined(request_id):
                self.delivery.forget(request_id)
                await self.channel_layer.group_discard(request_group(request_id), self.channel_name)

    async def socket_close(self, event: CloseEvent) -> None:
        """Another part of the system closes this socket (its account was deactivated, its user
        opened one socket too many)."""
        await self.close(code=event["code"])

    def _already_told(self, request: RequestData) -> bool:
        """A participant's socket hears of a change twice, through its user group and the room.
        Every change moves the status or the expert (a transfer moves only the expert), so a
        repeat of the last state seen is the echo."""
        expert = request["expert"]
        state = (request["status"], expert["id"] if expert is not None else None)
        if self.request_states.get(request["id"]) == state:
            return True
        self.request_states[request["id"]] = state
        return False

    async def send_frame(self, frame: ServerFrame) -> None:
        if frame["type"] == "error":
            ERROR_FRAMES.labels(frame["code"]).inc()
        await self.send(text_data=frame_text(frame))
