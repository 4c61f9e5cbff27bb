"""Catching up on broadcasts the channel layer lost, for every socket of a process at once.

A broadcast can be lost (a Redis reconnect, a process that stalled). A socket notices a lost
message as soon as a later one arrives (chat.delivery fills the gap), but not the loss of the
last message of a burst. So every CHAT_SYNC_INTERVAL seconds one task per process reads the
last seq of every room its sockets joined that has been quiet for the interval, in one query,
and lets each socket that is behind catch up. Cost: one small query per process per interval,
however many sockets are idle in rooms.
"""

import asyncio
import logging
from collections import defaultdict
from typing import Protocol

from django.conf import settings

from chat.async_db import in_worker_thread
from chat.selectors import request_last_seqs
from chat.tasks import LoopTask
from core.outages import dependency_failed

logger = logging.getLogger(__name__)

# Rooms per query: keeps the IN (...) list of one query reasonable.
QUERY_BATCH = 1000


class Follower(Protocol):
    """What the sync needs of a socket's delivery (chat.delivery.Delivery)."""

    def is_quiet(self, request_id: str, *, seconds: float) -> bool: ...

    def is_behind(self, request_id: str, seq: int) -> bool: ...

    async def catch_up(self, request_id: str, *, up_to_seq: int) -> None: ...


@in_worker_thread
def last_seqs(request_ids: list[str]) -> dict[str, int]:
    """The newest seq of each request, read in the ORM thread pool."""
    return request_last_seqs(request_ids=request_ids)


class RoomSync:
    """The rooms the sockets of this process joined, and the task that keeps them caught up.
    The task runs while at least one room is watched."""

    def __init__(self) -> None:
        self._watched: defaultdict[str, set[Follower]] = defaultdict(set)
        self._task = LoopTask("chat-room-sync", self._sync_forever)

    def watch(self, request_id: str, follower: Follower) -> None:
        self._watched[request_id].add(follower)
        self._task.ensure_running()

    def unwatch(self, request_id: str, follower: Follower) -> None:
        followers = self._watched.get(request_id)
        if followers is not None:
            followers.discard(follower)
            if not followers:
                del self._watched[request_id]

    async def _sync_forever(self) -> None:
        interval = settings.CHAT_SYNC_INTERVAL
        while self._watched:
            await asyncio.sleep(interval)
            try:
                await self.sync_quiet_rooms(quiet_for=interval)
            except Exception as exc:
                # The database may be briefly unreachable; the next round tries again.
                if dependency_failed(exc) is None:
                    logger.exception("chat room sync failed")

    async def sync_quiet_rooms(self, *, quiet_for: float) -> None:
        quiet = {
            request_id: [f for f in followers if f.is_quiet(request_id, seconds=quiet_for)]
            for request_id, followers in list(self._watched.items())
        }
        request_ids = [request_id for request_id, followers in quiet.items() if followers]
        for start in range(0, len(request_ids), QUERY_BATCH):
            newest = await last_seqs(request_ids[start : start + QUERY_BATCH])
            catch_ups = [
                follower.catch_up(request_id, up_to_seq=seq)
                for request_id, seq in newest.items()
                for follower in quiet[request_id]
                if follower.is_behind(request_id, seq)
            ]
            for failure in await asyncio.gather(*catch_ups, return_exceptions=True):
                if isinstance(failure, Exception):
                    logger.error("chat catch-up failed: %r", failure)
