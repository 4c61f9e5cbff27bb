"""Chat scenarios: closed loop, closed loop among idle rooms, open loop (steps), overload."""

from __future__ import annotations

import time

from bench import prepare
from bench.environment import BenchEnvironment
from bench.scenarios.base import Context, Options, closed_loop, execute, open_loop

WARMUP_MESSAGES = 3
# The open-loop step search stops at the first rate that is not sustained.
SUSTAINED_P99_MS = 100.0
OPEN_RATE = 500.0
OPEN_SECONDS = 20.0
OVERLOAD_RATE = 2000.0
OVERLOAD_SECONDS = 10.0
OVERLOAD_SETTLE_SECONDS = 60.0


def closed(options: Options, environment: BenchEnvironment, *, idle_pairs: int = 0) -> dict:
    specs = prepare.create_pairs(options.pairs)
    idle_specs = prepare.create_pairs(idle_pairs)

    async def drive(context: Context) -> None:
        fleet = context.fleet
        if idle_specs:
            await fleet.open_rooms(idle_specs)
            idle_rooms, fleet.rooms = fleet.rooms, []
        await fleet.open_rooms(specs)
        context.facts["sockets_open"] = 2 * (len(fleet.rooms) + len(idle_specs))
        await closed_loop(context, name="warm-up", messages=WARMUP_MESSAGES)
        await closed_loop(
            context, name=f"{len(fleet.rooms)}x{options.messages}", messages=options.messages
        )
        if idle_specs:
            fleet.rooms.extend(idle_rooms)  # closed and checked with the others

    name = "closed-idle" if idle_pairs else "closed"
    return execute(name=name, options=options, environment=environment, drive=drive)


def closed_idle(options: Options, environment: BenchEnvironment) -> dict:
    return closed(options, environment, idle_pairs=500 if options.idle is None else options.idle)


def sustained(phase_result: dict) -> bool:
    p99 = phase_result["latency_ms"]["p99"]
    return (
        p99 is not None
        and p99 <= SUSTAINED_P99_MS
        and phase_result["received"] == phase_result["sent"]
        and not phase_result["errors"]
    )


def open_rates(options: Options, environment: BenchEnvironment) -> dict:
    specs = prepare.create_pairs(options.pairs)
    rates = options.rates or [options.rate or OPEN_RATE]

    async def drive(context: Context) -> None:
        await context.fleet.open_rooms(specs)
        await closed_loop(context, name="warm-up", messages=WARMUP_MESSAGES)
        best = None
        for rate in rates:
            phase = await open_loop(
                context,
                name=f"{rate:g} msg/s",
                rate=rate,
                duration=options.duration or OPEN_SECONDS,
            )
            if not sustained(phase.result()):
                break
            best = rate
        context.facts["highest_sustained_rate"] = best
        context.facts["sustained_means"] = f"p99 <= {SUSTAINED_P99_MS:g} ms, all delivered"

    return execute(name="open", options=options, environment=environment, drive=drive)


def overload(options: Options, environment: BenchEnvironment) -> dict:
    """2,000 msg/s offered at the production rate limit (or --rate-limit): what is refused,
    what is acknowledged, and that every acknowledged message is stored."""
    specs = prepare.create_pairs(options.pairs)
    rate = options.rate or OVERLOAD_RATE
    server_env = {}
    if options.rate_limit:
        server_env = {
            "WS_MESSAGE_RATE": str(options.rate_limit[0]),
            "WS_MESSAGE_BURST": str(options.rate_limit[1]),
        }

    async def drive(context: Context) -> None:
        await context.fleet.open_rooms(specs)
        before = time.perf_counter()
        context.sampler.sample()
        phase = await open_loop(
            context,
            name=f"{rate:g} msg/s offered",
            rate=rate,
            duration=options.duration or OVERLOAD_SECONDS,
            settle=OVERLOAD_SETTLE_SECONDS,
        )
        phase.extra["rate_limited"] = phase.errors.get("rate_limited", 0)
        context.facts["server_rss_peak_mb"] = context.sampler.summary(since=before).get(
            "server_rss_peak_mb"
        )

    return execute(
        name="overload",
        options=options,
        environment=environment,
        drive=drive,
        server_env=server_env,
    )
