"""Storing a chat message from the event loop, without the hop to an ORM thread.

A message sent over a socket is, most of the time, one statement (chat.services
`store_alone_statement`). Run through the ORM it costs a thread hop each way and the ORM's
query building, which together cost the server process about as much CPU as everything else the
message needs. Here it runs on a connection of the event loop itself (psycopg's async
connection, the statement prepared once per connection). Anything else (attachments, a handler
with something to write in the transaction, a statement that stored nothing, a database that
fails) returns None, and the caller takes `message_store` in an ORM thread as before: what that
path decides and reports is unchanged.

PostgreSQL only, and only with DB_ASYNC_CONNECTIONS above 0 (each event loop opens up to that
many connections, on first use).
"""

import asyncio
import logging
import time
import weakref
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from psycopg.pq import TransactionStatus

from accounts.models import User
from chat.events import MessageStored
from chat.models import MESSAGE_MAX_CHARS
from chat.protocol.server import MessageData
from chat.serializers import message_data
from chat.services import message_draft, message_stored_alone, store_alone_statement
from core.events import handled_after_commit

logger = logging.getLogger(__name__)

# After a connection could not be opened or failed, the thread path alone for this long: it
# reports the outage (core.outages), and a database that is down is not tried twice per message.
FAILURE_PAUSE_SECONDS = 5.0
# A connection that cannot be opened within this long is given up (the thread path is taken).
CONNECT_TIMEOUT_SECONDS = 5


async def message_store_alone(
    *, request_id: str, sender: User, content: str, client_id: str | None
) -> MessageData | None:
    """Store a message without attachments in one statement; its data, or None when the caller
    must take chat.services.message_store instead (which then also says why it was not stored,
    or answers a repeated client_id with the original)."""
    content = content.strip()
    if not content or len(content) > MESSAGE_MAX_CHARS:
        return None  # refused, in the usual words, by message_store
    connections = _loop_connections()
    if connections is None or handled_after_commit(MessageStored):
        return None  # (a handler after the commit would need the ORM, which this loop may not use)
    message = message_draft(
        request_id=request_id, sender=sender, content=content, client_id=client_id
    )
    statement = store_alone_statement(message)
    if statement is None:
        return None
    row = await connections.fetch_one(*statement)
    if row is None:
        return None
    message_stored_alone(message, row=row)
    return message_data(message)


class LoopConnections:
    """Up to `size` autocommit connections of one event loop, opened when first needed."""

    def __init__(self, size: int) -> None:
        self._slots = asyncio.Semaphore(size)
        self._idle: list[psycopg.AsyncConnection] = []
        self.paused_until = 0.0

    async def fetch_one(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        """The statement's first row; None if it returned none, or failed in any way."""
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
                return await cursor.fetchone()
            except psycopg.IntegrityError:
                return None  # a repeated client_id: message_store finds the original
            except psycopg.Error as exc:
                self._failed(exc)
                return None
            finally:
                if not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE:
                    self._idle.append(conn)
                else:  # broken, or cancelled in the middle of the statement
                    await conn.close()

    def _failed(self, exc: Exception) -> None:
        logger.info("storing on the event loop's connection failed (%s); using threads", exc)
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


def _loop_connections() -> LoopConnections | None:
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
