"""Soak: a moderate, steady chat load for a long time, watching the server's memory.

50 pairs exchange 100 messages a second in total (2 a second per socket, well under the production
limit, which stays on) for 10 minutes by default (`--duration`, `--rate`, `--pairs`). The RSS of
every server process is read once a minute (ten times over a shorter run) together with what was
delivered since the previous reading, and the trend of the total is reported in MB per minute: a
server that leaks shows a steady slope long after its first minute. The usual checks apply: every
message delivered once, in order, and stored.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import psutil

from bench import prepare
from bench.environment import BenchEnvironment
from bench.scenarios.base import Context, Options, closed_loop, execute, open_loop
from bench.server import ResourceSampler
from bench.stats import Phase, percentile

SOAK_SECONDS = 600.0
SOAK_RATE = 100.0
WARMUP_MESSAGES = 3
# One reading a minute, or this many over a shorter run.
READING_EVERY_SECONDS = 60.0
READINGS_WANTED = 10
# The budget must cover the soak itself, the warm-up and the settle that follows.
BUDGET_BEYOND_DURATION_SECONDS = 120.0


@dataclass
class MemoryTimeline:
    """RSS readings of the server processes, with what was delivered between two readings."""

    context: Context
    rows: list[dict] = field(default_factory=list)
    _started: float = field(default_factory=time.perf_counter)
    # The phase being measured, and how many of its receipts earlier readings covered.
    _phase: Phase | None = None
    _latencies_seen: int = 0

    def read(self) -> None:
        phase = self.context.fleet.phase
        if self._phase is None:
            self._phase, self._latencies_seen = phase, len(phase.latencies)
        elif phase is not self._phase:
            self._phase, self._latencies_seen = phase, 0
        window = sorted(phase.latencies[self._latencies_seen :])
        self._latencies_seen = len(phase.latencies)
        by_pid = rss_by_process(self.context.sampler)
        self.rows.append(
            {
                "elapsed_s": round(time.perf_counter() - self._started, 1),
                "server_rss_mb": round(sum(by_pid.values()) / 2**20, 1),
                "rss_mb_by_pid": {pid: round(rss / 2**20, 1) for pid, rss in by_pid.items()},
                "delivered": len(window),
                "p99_ms": _ms(percentile(window, 0.99)),
            }
        )

    def seconds_since_last_reading(self) -> float:
        last = self.rows[-1]["elapsed_s"] if self.rows else 0.0
        return time.perf_counter() - self._started - last

    async def read_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self.read()


def rss_by_process(sampler: ResourceSampler) -> dict[int, int]:
    """RSS in bytes of each server process (the launcher and its workers)."""
    readings = {}
    for process in sampler.server_processes():
        try:
            readings[process.pid] = process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return readings


def rss_slope_mb_per_min(rows: list[dict]) -> float | None:
    """Least-squares slope of the total RSS over time, in MB per minute, leaving out the first
    reading (taken when the load starts: the first minute's growth is the server warming up,
    not a leak). None with fewer than two readings left."""
    points = [(row["elapsed_s"] / 60, row["server_rss_mb"]) for row in rows[1:]]
    if len(points) < 2:
        return None
    mean_t = sum(t for t, _ in points) / len(points)
    mean_rss = sum(rss for _, rss in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    return round(sum((t - mean_t) * (rss - mean_rss) for t, rss in points) / spread, 3)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def soak(options: Options, environment: BenchEnvironment) -> dict:
    specs = prepare.create_pairs(options.pairs)
    duration = options.duration or SOAK_SECONDS
    rate = options.rate or SOAK_RATE
    every = min(READING_EVERY_SECONDS, duration / READINGS_WANTED)
    options.budget = max(options.budget, duration + BUDGET_BEYOND_DURATION_SECONDS)

    async def drive(context: Context) -> None:
        await context.fleet.open_rooms(specs)
        await closed_loop(context, name="warm-up", messages=WARMUP_MESSAGES)
        timeline = MemoryTimeline(context)
        context.facts["rss_timeline"] = timeline.rows
        timeline.read()
        reader = asyncio.create_task(timeline.read_every(every))
        try:
            await open_loop(context, name=f"soak {rate:g} msg/s", rate=rate, duration=duration)
        finally:
            reader.cancel()
        if timeline.seconds_since_last_reading() > 1:
            timeline.read()  # the end of the settle, unless a reading just happened
        first, last = timeline.rows[0], timeline.rows[-1]
        context.facts["server_rss_start_mb"] = first["server_rss_mb"]
        context.facts["server_rss_end_mb"] = last["server_rss_mb"]
        context.facts["server_rss_slope_mb_per_min"] = rss_slope_mb_per_min(timeline.rows)

    # Production limits: the soak's 2 messages a second per socket are well under them.
    return execute(
        name="soak", options=options, environment=environment, drive=drive, server_env={}
    )
