"""What this process knows of its dependencies' outages, and the one log line each state change
gets: when a dependency stops answering, and when it answers again (with how long it was gone
and how many operations failed meanwhile). A frame, a probe or a heartbeat that fails because
the database or Redis is unreachable reports it here instead of logging a traceback of its own,
so an outage of a minute is two log lines, not thousands."""

import logging
import threading
import time

from django.db import DatabaseError, InterfaceError, OperationalError

from core.metrics import DEPENDENCY_UP

logger = logging.getLogger("outages")


class Dependency:
    def __init__(self, name: str, *, metric_label: str) -> None:
        self.name = name
        self._up = DEPENDENCY_UP.labels(metric_label)
        self._up.set(1)
        self._lock = threading.Lock()  # reported from the event loop and from ORM threads
        self._down_since: float | None = None
        self._failures = 0

    @property
    def is_down(self) -> bool:
        return self._down_since is not None

    @property
    def down_for(self) -> float:
        """Seconds since the outage began (0 while up)."""
        since = self._down_since
        return 0.0 if since is None else time.monotonic() - since

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self._failures += 1
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
        self._up.set(0)
        logger.error("%s unreachable: %s", self.name, _one_line(error))

    def answered(self) -> None:
        if not self.is_down:  # the common case, without the lock
            return
        with self._lock:
            since = self._down_since
            if since is None:
                return
            lasted, failures = time.monotonic() - since, self._failures
            self._down_since, self._failures = None, 0
        self._up.set(1)
        logger.warning(
            "%s answers again after %.1fs; %d operation(s) failed meanwhile",
            self.name,
            lasted,
            failures,
        )


DATABASE = Dependency("database", metric_label="database")
CHANNEL_LAYER = Dependency("channel layer (Redis)", metric_label="channel_layer")


def dependency_failed(error: BaseException) -> Dependency | None:
    """The dependency whose outage `error` shows (and reports it), or None for any other error.
    Only connection-level failures count: a constraint violation is a bug or a race, not an
    outage."""
    dependency = _dependency_of(error)
    if dependency is not None:
        dependency.failed(error)
    return dependency


def _dependency_of(error: BaseException) -> Dependency | None:
    if isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DatabaseError) and _mentions_connection(error)
    ):
        return DATABASE
    module = type(error).__module__
    if module.startswith(("redis", "channels_redis")) or isinstance(
        error, ConnectionError | TimeoutError
    ):
        return CHANNEL_LAYER
    return None


def _mentions_connection(error: BaseException) -> bool:
    text = str(error).lower()
    return "connection" in text or "server closed" in text


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
