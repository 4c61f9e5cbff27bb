"""Socket scenarios: a connect storm, and many idle authenticated sockets (memory per socket)."""

from __future__ import annotations

import asyncio
import time

from bench import prepare
from bench.environment import BenchEnvironment
from bench.scenarios.base import Context, Options, execute

IDLE_SOCKETS = 10_000
# Idle sockets are opened this many at a time: a steady arrival, not a storm (that is `connect`).
IDLE_CONCURRENCY = 100
SETTLE_SECONDS = 3.0


async def _memory_per_socket(context: Context, *, opened: int, rss_before: int) -> None:
    await asyncio.sleep(SETTLE_SECONDS)  # let the server finish the presence writes
    rss_after = context.sampler.server_rss()
    context.facts["server_rss_before_mb"] = round(rss_before / 2**20, 1)
    context.facts["server_rss_after_mb"] = round(rss_after / 2**20, 1)
    if opened and rss_before:
        context.facts["server_kb_per_socket"] = round((rss_after - rss_before) / opened / 1024, 1)
    context.facts["server_pids"] = context.sampler.server_pids()


def connect(options: Options, environment: BenchEnvironment) -> dict:
    """N authenticated connects at once: the time until all are open, then memory per socket."""
    tokens = prepare.create_lone_users(options.connects)

    async def drive(context: Context) -> None:
        phase = context.begin(f"{len(tokens)} connects")
        rss_before = context.sampler.server_rss()
        started = time.perf_counter()
        opened = await context.fleet.open_lone(tokens)
        phase.sending_ended = time.perf_counter()
        context.facts["sockets_open"] = opened
        context.facts["all_connected_s"] = round(phase.sending_ended - started, 3)
        await _memory_per_socket(context, opened=opened, rss_before=rss_before)

    return execute(name="connect", options=options, environment=environment, drive=drive)


def storm(options: Options, environment: BenchEnvironment) -> dict:
    """A reconnect storm: N clients connect at the same instant, and those refused with 503
    retry as docs/websocket.md says (Retry-After plus jitter). Reports the time until all are
    open and how many handshakes were refused on the way; none may fail for good."""
    tokens = prepare.create_lone_users(options.connects)

    async def drive(context: Context) -> None:
        phase = context.begin(f"{len(tokens)} connects at once, retrying on 503")
        started = time.perf_counter()
        opened = await context.fleet.open_lone(tokens, retry_when_busy=True)
        phase.sending_ended = time.perf_counter()
        context.facts["sockets_open"] = opened
        context.facts["all_connected_s"] = round(phase.sending_ended - started, 3)
        context.facts["refused_503_then_retried"] = context.fleet.busy_refusals

    return execute(name="storm", options=options, environment=environment, drive=drive)


def idle(options: Options, environment: BenchEnvironment) -> dict:
    """N idle authenticated sockets (default 10,000): memory per socket, CPU while idle."""
    count = IDLE_SOCKETS if options.idle is None else options.idle
    tokens = prepare.create_lone_users(count)

    async def drive(context: Context) -> None:
        phase = context.begin(f"{count} idle sockets")
        rss_before = context.sampler.server_rss()
        started = time.perf_counter()
        # A refused handshake (503) is retried as docs/websocket.md says, as a real client would.
        opened = await context.fleet.open_lone(
            tokens, concurrency=IDLE_CONCURRENCY, retry_when_busy=True
        )
        phase.sending_ended = time.perf_counter()
        context.facts["sockets_open"] = opened
        context.facts["all_connected_s"] = round(phase.sending_ended - started, 3)
        context.facts["refused_503_then_retried"] = context.fleet.busy_refusals
        await _memory_per_socket(context, opened=opened, rss_before=rss_before)
        held = context.begin("held idle")
        await asyncio.sleep(SETTLE_SECONDS)
        held.sending_ended = time.perf_counter()
        context.facts["still_open"] = sum(
            1 for peer in context.fleet.lone if peer.ws.close_code is None
        )

    return execute(name="idle", options=options, environment=environment, drive=drive)
