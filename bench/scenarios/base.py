"""Running one scenario: fresh bench data, a server in production shape, the clients, the checks.

A scenario is prepared synchronously (bulk ORM inserts), driven in one asyncio loop, then checked
against the database once the loop is over (the ORM never runs inside the loop).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench import prepare
from bench.client import Fleet
from bench.environment import BenchEnvironment
from bench.server import ResourceSampler, server
from bench.stats import Phase

# Throughput scenarios measure the chat path, not the per-socket rate limit.
UNLIMITED = {"WS_MESSAGE_RATE": "100000", "WS_MESSAGE_BURST": "100000"}
SETTLE_SECONDS = 15
ACK_TIMEOUT_SECONDS = 15


@dataclass
class Options:
    pairs: int = 50
    messages: int = 200
    rate: float | None = None  # each scenario has its own default
    rates: list[float] = field(default_factory=list)
    duration: float | None = None
    idle: int | None = None
    connects: int = 1000
    workers: int | None = None
    server: str = "daphne"
    url: str | None = None
    listen: str | None = None  # config.serve --listen (its default when None)
    rate_limit: tuple[float, int] | None = None
    budget: float = 600.0


@dataclass
class Context:
    """What a driver gets: the clients, the resource sampler and the scenario's options."""

    fleet: Fleet
    sampler: ResourceSampler
    options: Options
    phases: list[Phase] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    def begin(self, name: str) -> Phase:
        phase = Phase(name=name)
        self.fleet.phase = phase
        self.phases.append(phase)
        return phase


Driver = Callable[[Context], Awaitable[None]]


def worker_count(options: Options, environment: BenchEnvironment) -> int:
    wanted = options.workers or os.cpu_count() or 1
    return min(wanted, environment.max_workers or wanted)


def execute(
    *,
    name: str,
    options: Options,
    environment: BenchEnvironment,
    drive: Driver,
    server_env: dict[str, str] | None = None,
) -> dict:
    """Run `drive` against a freshly started server (or --url) and return the scenario report."""
    workers = worker_count(options, environment)
    env = dict(UNLIMITED if server_env is None else server_env)
    env["ASGI_SERVER"] = options.server
    label = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    with (
        server(
            workers=workers, env=env, label=label, target_url=options.url, listen=options.listen
        ) as running,
        ResourceSampler(server_pid=running.pid) as sampler,
    ):
        context = Context(fleet=Fleet(running.urls), sampler=sampler, options=options)
        asyncio.run(_drive_bounded(context, drive, ports=running.ports))
    stored = prepare.stored_client_ids([room.spec.request_id for room in context.fleet.rooms])
    integrity = context.fleet.integrity(stored)
    fleet = context.fleet
    return {
        "scenario": name,
        "workers": workers if not options.url else None,
        "server": options.server if not options.url else None,
        "listen": options.listen or (None if options.url else "default"),
        "url": options.url,
        "server_env": env if not options.url else None,
        "phases": [
            _with_cpu_per_message(
                {**phase.result(), **sampler.summary(since=phase.started, until=phase.ended)}
            )
            for phase in context.phases
        ],
        "integrity": integrity.as_dict(),
        "connect_failures": dict(fleet.connect_failures),
        "unexpected_closes": dict(fleet.unexpected_closes),
        **context.facts,
        "ok": integrity.ok and not fleet.connect_failures,
    }


def _with_cpu_per_message(phase: dict) -> dict:
    """Server CPU milliseconds per delivered message: the cost figure to compare between builds
    (it does not depend on how busy the machine was, as msg/s does)."""
    cpu_seconds = phase.get("server_cpu_seconds")
    if cpu_seconds is not None and phase["received"]:
        phase["server_cpu_ms_per_message"] = round(cpu_seconds * 1000 / phase["received"], 3)
    return phase


async def _drive_bounded(context: Context, drive: Driver, *, ports: set[int]) -> None:
    try:
        async with asyncio.timeout(context.options.budget):
            await drive(context)
    except TimeoutError:
        context.facts["timed_out_after_s"] = context.options.budget
    finally:
        # Counted while every socket of the scenario is still open.
        if context.sampler.server_pid is not None:
            held = await asyncio.to_thread(context.sampler.client_ports_per_worker, ports)
            context.facts["sockets_per_worker"] = {pid: len(held[pid]) for pid in held}
            # In the chat scenarios only the user of each pair sends: how the senders were
            # dealt out matters as much as how many sockets each worker holds.
            sender_ports = {room.user.local_port for room in context.fleet.rooms}
            if sender_ports:
                context.facts["senders_per_worker"] = {
                    pid: len(held[pid] & sender_ports) for pid in held
                }
        await context.fleet.close()


# --- the two workloads every chat scenario is made of ------------------------------------------
async def closed_loop(context: Context, *, name: str, messages: int) -> Phase:
    """Every user sends its next message as soon as its previous one is acknowledged."""
    phase = context.begin(name)
    fleet = context.fleet

    async def converse(room) -> None:
        for _ in range(messages):
            answer = await fleet.send_message(room, stamp=time.perf_counter())
            try:
                await asyncio.wait_for(answer, ACK_TIMEOUT_SECONDS)
            except TimeoutError:
                phase.errors["ack_timeout"] += 1

    await asyncio.gather(*(converse(room) for room in fleet.rooms))
    phase.sending_ended = time.perf_counter()
    await fleet.settle(timeout=SETTLE_SECONDS)
    return phase


async def open_loop(
    context: Context, *, name: str, rate: float, duration: float, settle: float = SETTLE_SECONDS
) -> Phase:
    """Messages leave on a fixed schedule whatever the server does (no coordinated omission:
    latency counts from the scheduled time, so a stalled sender shows up as latency)."""
    phase = context.begin(name)
    fleet = context.fleet
    rooms = fleet.rooms
    interval = len(rooms) / rate
    start = time.perf_counter() + 0.05
    end = start + duration
    phase.extra["offered_per_s"] = rate

    async def pace(index: int, room) -> None:
        scheduled = start + index * interval / len(rooms)
        while scheduled < end:
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                phase.send_lag_max = max(phase.send_lag_max, -delay)
            await fleet.send_message(room, stamp=scheduled)
            scheduled += interval

    await asyncio.gather(*(pace(index, room) for index, room in enumerate(rooms)))
    phase.sending_ended = time.perf_counter()
    phase.extra["sent_per_s"] = round(phase.sent / (phase.sending_ended - phase.started), 1)
    await fleet.settle(timeout=settle)
    drained = phase.last_receipt or phase.sending_ended
    phase.extra["drain_after_sending_s"] = round(max(0.0, drained - phase.sending_ended), 2)
    return phase
