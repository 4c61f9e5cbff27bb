"""The event loop's own PostgreSQL connections, for the few statements a socket makes often.

A statement run through the ORM from the event loop costs a hop to an ORM thread and back, and
the ORM's query building: for a one-statement job (storing a plain message, recording an opened
socket) more CPU than the statement itself. Here it runs on an autocommit connection of the
loop (psycopg's async connection, the statement prepared once per connection). A statement that
fails in any way gives None: the caller then takes its ORM path, which decides and reports as
before (an outage is reported by that path, core.outages); after a failure the loop's
connections are left alone for a few seconds, so a database that is down is not tried twice.

PostgreSQL only, and only with DB_ASYNC_CONNECTIONS above 0 (each event loop opens up to that
many connections, on first use).
"""

import asyncio
import logging
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from psycopg.pq import TransactionStatus

logger = logging.getLogger(__name__)

# After a connection could not be opened or failed, the thread path alone for this long: it
# reports the outage (core.outages), and a database that is down is not tried twice per message.
FAILURE_PAUSE_SECONDS = 5.0
# A connection that cannot be opened within this long is given up (the thread path is taken).
CONNECT_TIMEOUT_SECONDS = 5

Params = Sequence[Any] | Mapping[str, Any]


class LoopConnections:
    """Up to `size` autocommit connections of one event loop, opened when first needed."""

    def __init__(self, size: int) -> None:
        self._slots = asyncio.Semaphore(size)
        self._idle: list[psycopg.AsyncConnection] = []
        self.paused_until = 0.0

    async def fetch_one(self, sql: str, params: Params) -> tuple[Any, ...] | None:
        """The statement's first row; None if it returned none, or failed in any way."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Params) -> list[tuple[Any, ...]] | None:
        """The statement's rows; None if it failed in any way (a constraint it broke included:
        nothing was written, and the caller's ORM path says why)."""
        if time.monotonic() < self.paused_until:
            return None
        async with self._slots:
            try:
                conn = self._idle.pop() if self._idle else await _connect()
            except psycopg.Error as exc:
                self._failed(exc)
                return None
            try:
                cursor = await conn.execute(sql, params, prepare=True)
                return await cursor.fetchall()
            except psycopg.IntegrityError:
                return None  # (a repeated client_id, say: the ORM path finds the original)
            except psycopg.Error as exc:
                self._failed(exc)
                return None
            finally:
                if not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE:
                    self._idle.append(conn)
                else:  # broken, or cancelled in the middle of the statement
                    await conn.close()

    def _failed(self, exc: Exception) -> None:
        logger.info("a statement on the event loop's connection failed (%s); using threads", exc)
        self.paused_until = time.monotonic() + FAILURE_PAUSE_SECONDS

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()


async def _connect() -> psycopg.AsyncConnection:
    params = connection.get_connection_params()
    # The ORM's adapters and cursor class are not wanted here: server-side binding, so the
    # statement can be prepared.
    for key in ("context", "cursor_factory", "prepare_threshold"):
        params.pop(key, None)
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    return await psycopg.AsyncConnection.connect(**params, autocommit=True)


_by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopConnections]" = (
    weakref.WeakKeyDictionary()
)


_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def loop_connections() -> LoopConnections | None:
    """This event loop's connections; None where there are none (SQLite, or turned off)."""
    if settings.DB_ASYNC_CONNECTIONS == 0 or not _POSTGRES:
        return None
    loop = asyncio.get_running_loop()
    connections = _by_loop.get(loop)
    if connections is None:
        connections = _by_loop[loop] = LoopConnections(settings.DB_ASYNC_CONNECTIONS)
        _close_with(loop, connections)
    return connections


def _close_with(loop: asyncio.AbstractEventLoop, connections: LoopConnections) -> None:
    """Close the loop's connections when the loop is closed (a test's loop, a server's at exit),
    rather than leave them to the garbage collector."""
    close_loop = loop.close

    def close() -> None:
        loop.close = close_loop  # type: ignore[method-assign]
        if not loop.is_running() and not loop.is_closed():
            loop.run_until_complete(connections.close())
        close_loop()

    loop.close = close  # type: ignore[method-assign]
