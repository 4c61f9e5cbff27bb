"""Exactly-once, in-order delivery of a room's messages to one socket.

Each joined room remembers the last seq this socket delivered. A message arriving from any
source (the channel layer, the sender's own ack, a replay, the catch-up in chat.sync) goes through
`deliver`: an old seq is a duplicate and is dropped; the next seq is sent; a later seq means the
layer lost something, so the missing seqs are read from the database first. Because seqs are
assigned under the request's row lock and broadcast after commit, when seq N is visible every
seq below N is committed, so the fill always finds them.

All deliveries for one room hold that room's lock, so a broadcast, an ack and a sync running in
different tasks can never interleave their frames.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from chat.protocol.server import MessageData, Ref, ServerFrame, new_message_frame
from chat.sync import RoomSync
from core.metrics import CATCH_UPS, GAP_FILLS

logger = logging.getLogger(__name__)

SendFrame = Callable[[ServerFrame], Awaitable[None]]
# (request_id, after_seq, up_to_seq) -> messages with after_seq < seq <= up_to_seq, ascending;
# may return fewer than asked (a batch), never skip one.
FetchMessages = Callable[[str, int, int], Awaitable[list[MessageData]]]


class Room:
    def __init__(self, last_seq: int) -> None:
        self.last_seq = last_seq
        self.lock = asyncio.Lock()
        # When this socket last delivered one of the room's messages (monotonic clock).
        self.delivered_at = time.monotonic()

    def quiet_for(self, seconds: float) -> bool:
        return time.monotonic() - self.delivered_at >= seconds


class Delivery:
    def __init__(
        self, *, send_frame: SendFrame, fetch_messages: FetchMessages, room_sync: RoomSync
    ) -> None:
        self._send_frame = send_frame
        self._fetch_messages = fetch_messages
        self._room_sync = room_sync
        self.rooms: dict[str, Room] = {}
        # Backlogs being sent after their room's `joined` (stream_backlog), by room.
        self._backlogs: dict[str, asyncio.Task[None]] = {}

    def is_joined(self, request_id: str) -> bool:
        return request_id in self.rooms

    def join(self, request_id: str, *, last_seq: int) -> Room:
        """Start tracking a room from `last_seq` (or keep tracking it, if already joined)."""
        room = self.rooms.get(request_id)
        if room is None:
            room = self.rooms[request_id] = Room(last_seq=last_seq)
            self._room_sync.watch(request_id, self)
        return room

    def forget(self, request_id: str) -> None:
        if (backlog := self._backlogs.pop(request_id, None)) is not None:
            backlog.cancel()
        if self.rooms.pop(request_id, None) is not None:
            self._room_sync.unwatch(request_id, self)

    def forget_all(self) -> None:
        for request_id in list(self.rooms):
            self.forget(request_id)

    def is_quiet(self, request_id: str, *, seconds: float) -> bool:
        room = self.rooms.get(request_id)
        return room is not None and room.quiet_for(seconds)

    def is_behind(self, request_id: str, seq: int) -> bool:
        room = self.rooms.get(request_id)
        return room is not None and room.last_seq < seq

    async def deliver(self, request_id: str, message: MessageData, *, ref: Ref = None) -> bool:
        """Deliver one message (filling any gap before it). False if it was a duplicate or the
        room is not joined. `ref` goes on this message's frame only: it is the sender's ack."""
        room = self.rooms.get(request_id)
        if room is None:
            return False
        async with room.lock:
            if self._gap_before(request_id, room, message["seq"]):
                # A broadcast after a gap: the ones between were lost, or are still on their
                # way from another process. (The sender's own ack may run ahead of broadcasts in
                # flight all the time, and a join's backlog is still being sent: neither counts.)
                GAP_FILLS.inc()
            return await self.deliver_locked(request_id, room, message, ref=ref)

    def _gap_before(self, request_id: str, room: Room, seq: int) -> bool:
        return (
            self.rooms.get(request_id) is room
            and seq > room.last_seq + 1
            and request_id not in self._backlogs
        )

    async def deliver_locked(
        self, request_id: str, room: Room, message: MessageData, *, ref: Ref = None
    ) -> bool:
        """`deliver` for a caller that already holds `room.lock`."""
        if self.rooms.get(request_id) is not room:
            return False  # left while waiting for the lock
        seq = message["seq"]
        if seq <= room.last_seq:
            return False
        if seq > room.last_seq + 1:
            await self.fill_locked(request_id, room, up_to_seq=seq - 1)
        await self._send_frame(new_message_frame(message, ref=ref))
        room.last_seq = seq
        room.delivered_at = time.monotonic()
        return True

    async def catch_up(self, request_id: str, *, up_to_seq: int) -> None:
        """Deliver everything up to `up_to_seq` that this socket has not had yet."""
        room = self.rooms.get(request_id)
        if room is None or up_to_seq <= room.last_seq:
            return
        async with room.lock:
            if self.rooms.get(request_id) is room and up_to_seq > room.last_seq:
                if request_id not in self._backlogs:  # not a join's backlog still being sent
                    CATCH_UPS.inc()
                await self.fill_locked(request_id, room, up_to_seq=up_to_seq)

    async def fill_locked(self, request_id: str, room: Room, *, up_to_seq: int) -> None:
        while room.last_seq < up_to_seq:
            if not await self._send_batch_locked(request_id, room, up_to_seq=up_to_seq):
                return

    async def fill_one_batch_locked(self, request_id: str, room: Room, *, up_to_seq: int) -> None:
        """`fill_locked`, but at most one batch (as many as one read returns)."""
        if room.last_seq < up_to_seq:
            await self._send_batch_locked(request_id, room, up_to_seq=up_to_seq)

    def stream_backlog(self, request_id: str, *, up_to_seq: int) -> None:
        """Deliver the room's messages up to `up_to_seq` in the background, one batch per turn
        of the room's lock, so a live message or the socket's own send can go between batches
        (each still in seq order: a live message past the backlog fills the rest first)."""
        if (earlier := self._backlogs.get(request_id)) is not None:
            earlier.cancel()
        self._backlogs[request_id] = asyncio.create_task(
            self._stream(request_id, up_to_seq=up_to_seq)
        )

    async def _stream(self, request_id: str, *, up_to_seq: int) -> None:
        while (room := self.rooms.get(request_id)) is not None and room.last_seq < up_to_seq:
            async with room.lock:
                if self.rooms.get(request_id) is not room:
                    break
                if not await self._send_batch_locked(request_id, room, up_to_seq=up_to_seq):
                    break
        self._backlogs.pop(request_id, None)

    async def _send_batch_locked(self, request_id: str, room: Room, *, up_to_seq: int) -> bool:
        batch = await self._fetch_messages(request_id, room.last_seq, up_to_seq)
        if not batch:
            # Cannot happen while seqs are gap-free; never spin if it somehow does.
            logger.error("room %s: seqs %s..%s missing", request_id, room.last_seq, up_to_seq)
            return False
        for message in batch:
            await self._send_frame(new_message_frame(message))
            room.last_seq = message["seq"]
        room.delivered_at = time.monotonic()
        return True
