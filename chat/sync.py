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

from django.conf import settings

from chat.selectors import request_last_seqs
from config.async_db import in_worker_thread

logger = logging.getLogger(__name__)

# Rooms per query: keeps the IN (...) list of one query reasonable.
QUERY_BATCH = 1000

_watched: dict[str, set] = defaultdict(set)  # request_id -> Delivery objects of local sockets
_task: asyncio.Task | None = None


def watch(request_id: str, delivery) -> None:
    global _task
    _watched[request_id].add(delivery)
    loop = asyncio.get_running_loop()
    if _task is None or _task.done() or _task.get_loop() is not loop:
        _task = loop.create_task(_sync_forever(), name="chat-room-sync")


def unwatch(request_id: str, delivery) -> None:
    deliveries = _watched.get(request_id)
    if deliveries is not None:
        deliveries.discard(delivery)
        if not deliveries:
            del _watched[request_id]


@in_worker_thread
def last_seqs(request_ids: list[str]) -> dict[str, int]:
    """The newest seq of each request, read in the ORM thread pool."""
    return request_last_seqs(request_ids=request_ids)


async def _sync_forever() -> None:
    interval = settings.CHAT_SYNC_INTERVAL
    while _watched:
        await asyncio.sleep(interval)
        try:
            await sync_quiet_rooms(quiet_for=interval)
        except Exception:
            # The database may be briefly unreachable; the next round tries again.
            logger.exception("chat room sync failed")


async def sync_quiet_rooms(*, quiet_for: float) -> None:
    quiet = {
        request_id: [d for d in deliveries if d.is_quiet(request_id, seconds=quiet_for)]
        for request_id, deliveries in list(_watched.items())
    }
    request_ids = [request_id for request_id, deliveries in quiet.items() if deliveries]
    for start in range(0, len(request_ids), QUERY_BATCH):
        newest = await last_seqs(request_ids[start : start + QUERY_BATCH])
        catch_ups = [
            delivery.catch_up(request_id, up_to_seq=seq)
            for request_id, seq in newest.items()
            for delivery in quiet[request_id]
            if delivery.is_behind(request_id, seq)
        ]
        for failure in await asyncio.gather(*catch_ups, return_exceptions=True):
            if isinstance(failure, Exception):
                logger.error("chat catch-up failed: %r", failure)
