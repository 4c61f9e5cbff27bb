"""ORM calls from async code (the WebSocket consumer, its middleware, presence)."""

from channels.db import database_sync_to_async
from django.conf import settings

# SQLite takes one writer at a time, and its shared in-memory databases lock whole tables
# across threads: there, every call goes through one thread, as channels does by default.
_ONE_THREAD = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def in_worker_thread(function):
    """Run `function` in the event loop's thread pool, closing stale connections around it.

    Not channels' default (thread_sensitive): that runs every call of the process in one thread,
    queueing all sockets' database work behind a single connection. Each pool thread keeps its
    own connection (CONN_MAX_AGE); the pool holds min(32, cores + 4) threads.
    """
    return database_sync_to_async(function, thread_sensitive=_ONE_THREAD)
