"""The ids that every log line written while serving a request or a socket carries.

The request id middleware (config.request_id) binds `request_id` for an HTTP request; the
WebSocket consumer binds `socket_id` when a socket's handshake begins and `user_id` once it is
authenticated. Each HTTP request and each socket runs in a task of its own, and asyncio and
asgiref copy context variables into the tasks and threads they start, so the ids follow the
work (the ORM threads included) and never leak from one request or socket to another.
config.log_filters.LogContext puts them on each log record.
"""

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
socket_id: ContextVar[str | None] = ContextVar("socket_id", default=None)
user_id: ContextVar[str | None] = ContextVar("user_id", default=None)


def current() -> dict[str, str]:
    """The ids bound where this is called (only those that are set)."""
    ids = {"request_id": request_id.get(), "socket_id": socket_id.get(), "user_id": user_id.get()}
    return {name: value for name, value in ids.items() if value is not None}
