"""ORM calls from async code: the WebSocket consumer, its handshake, presence, room sync."""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from core.metrics import ORM_QUEUE_DEPTH

# SQLite takes one writer at a time, and its shared in-memory databases lock whole tables
# across threads: there, every call goes through one thread, as channels does by default.
_ONE_THREAD = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


class _MeteredPool(ThreadPoolExecutor):
    """A thread pool that counts the calls waiting for one of its threads (ORM_QUEUE_DEPTH): a
    queue that stays deep means DB_THREADS, or the database, is the bottleneck."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.under_way: set[Future] = set()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        ORM_QUEUE_DEPTH.inc()

        def started(*call_args: Any, **call_kwargs: Any) -> Any:
            ORM_QUEUE_DEPTH.dec()
            return fn(*call_args, **call_kwargs)

        future = super().submit(started, *args, **kwargs)
        self.under_way.add(future)
        future.add_done_callback(self.under_way.discard)
        return future


# The threads that run ORM calls for the sockets of this process. Each keeps its own database
# connection (CONN_MAX_AGE), so this is also the most connections a process opens for them.
_POOL = None if _ONE_THREAD else _MeteredPool(settings.DB_THREADS, "orm")


def in_worker_thread(function):
    """Run `function` in the ORM thread pool, closing stale connections around it.

    Not channels' default (thread_sensitive): that runs every call of the process in one thread,
    queueing all sockets' database work behind a single connection.
    """
    return database_sync_to_async(function, thread_sensitive=_ONE_THREAD, executor=_POOL)


def wait_for_calls_under_way(timeout: float) -> None:
    """Let the ORM calls already handed to the pool finish (a thread cannot be stopped: a call
    whose socket has gone still runs to its end). The test suite waits on this before it
    empties the database, which a call still writing would otherwise deadlock with."""
    if _POOL is not None:
        wait(list(_POOL.under_way), timeout=timeout)
