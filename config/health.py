"""Probes for load balancers and orchestrators.

- `/healthz/live` (liveness): the process is up and serving. It checks nothing else, so a
  database outage never gets healthy processes restarted.
- `/healthz` (readiness): the database and the channel layer answer. A probe that fails once is
  tried again within the budget, so one slow moment does not take a healthy process out of the
  load balancer; an outage still fails it within the budget.
"""

import asyncio
import functools
import time
import uuid
import weakref
from collections.abc import Callable

import redis
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from chat.groups import channel_layer
from config import lifecycle
from core import worker
from core.outages import CHANNEL_LAYER, DATABASE, Dependency

# The whole readiness probe answers within this (load balancers commonly wait 5 s).
READINESS_BUDGET_SECONDS = 4.0
ATTEMPT_TIMEOUT_SECONDS = 1.5
RETRY_PAUSE_SECONDS = 0.2
# Each Redis server of a sharded channel layer answers a PING within this.
SHARD_PING_TIMEOUT_SECONDS = 0.5


@require_safe
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the channel layer both answer, 503 otherwise (and while the
    process shuts down, so the load balancer stops sending it traffic)."""
    if lifecycle.draining.is_set():
        return JsonResponse({"status": "shutting down"}, status=503)
    deadline = time.monotonic() + READINESS_BUDGET_SECONDS / 2
    checks = {"database": _check(_database_answers, DATABASE, deadline)}
    deadline = time.monotonic() + READINESS_BUDGET_SECONDS / 2
    checks["channel_layer"] = _check(_layer_answers, CHANNEL_LAYER, deadline)
    healthy = all(value == "ok" for value in checks.values())
    body: dict[str, object] = {"status": "ok" if healthy else "unavailable", **checks}
    if checks["database"] == "ok":
        body["worker"] = _worker_backlog()
    response = JsonResponse(body, status=200 if healthy else 503)
    # An unready process is the outage core.outages already logged, not a server error: without
    # this Django logs every probe's 503 at ERROR.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _worker_backlog() -> dict[str, object]:
    """For each of the worker's jobs, how long its oldest due item has waited (seconds; None
    when nothing is due). Reported, never failing the probe: a backlog is for an alert, and
    taking the process out of the load balancer would not clear it."""
    backlog: dict[str, float | None] = {}
    for job in worker.registered():
        if job.backlog is not None:
            try:
                seconds = job.backlog()
            except Exception:  # noqa: BLE001 - a probe reports, it does not fail
                seconds = None
            backlog[job.name] = None if seconds is None else round(seconds, 1)
    return {
        "oldest_due_seconds": max((s for s in backlog.values() if s is not None), default=None),
        "jobs": backlog,
    }


def _check(probe: Callable[[float], None], dependency: Dependency, deadline: float) -> str:
    """Try the probe until it answers or the deadline passes. Failures are reported to the
    dependency's outage log (one line per outage, not one per probe)."""
    while True:
        try:
            probe(min(ATTEMPT_TIMEOUT_SECONDS, max(0.1, deadline - time.monotonic())))
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            if time.monotonic() + RETRY_PAUSE_SECONDS >= deadline:
                dependency.failed(exc)
                return "failing"
            time.sleep(RETRY_PAUSE_SECONDS)
        else:
            dependency.answered()
            return "ok"


def _database_answers(timeout: float) -> None:
    # An unreachable server fails the connection at once; the timeout bounds the layer probe.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _layer_answers(timeout: float) -> None:
    async_to_sync(_layer_round_trip)(timeout)
    # The round trip went through one Redis server, the one its channel hashes to. With several
    # (REDIS_URL's shards), every one must answer: the rooms on a silent one are cut off.
    if len(settings.REDIS_SERVERS) > 1:
        for client in _shard_clients():
            client.ping()


@functools.cache
def _shard_clients() -> tuple[redis.Redis, ...]:
    return tuple(
        server.client(
            socket_connect_timeout=SHARD_PING_TIMEOUT_SECONDS,
            socket_timeout=SHARD_PING_TIMEOUT_SECONDS,
        )
        for server in settings.REDIS_SERVERS
    )


class _Probe:
    """One event loop's probe channel, reused by every probe: a channel of the pub/sub layer
    stays subscribed after a message is read from it, so a fresh channel per probe would leave
    one more subscription behind each time a load balancer asks."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # one reader at a time: each probe reads its own answer
        self.channel: str | None = None


_probes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Probe]" = (
    weakref.WeakKeyDictionary()
)


async def _layer_round_trip(seconds: float) -> None:
    # Send to this process's probe channel and read it back, giving up rather than hanging.
    layer = channel_layer()
    probe = _probes.setdefault(asyncio.get_running_loop(), _Probe())
    async with probe.lock:
        try:
            async with asyncio.timeout(seconds):
                if probe.channel is None:
                    probe.channel = await layer.new_channel()
                nonce = uuid.uuid4().hex
                await layer.send(probe.channel, {"type": "health.ping", "nonce": nonce})
                # An answer to an earlier probe that gave up may still be on its way.
                while (await layer.receive(probe.channel)).get("nonce") != nonce:
                    pass
        except BaseException:
            # A receive cut short unsubscribes the channel: the next probe starts a new one.
            probe.channel = None
            raise
