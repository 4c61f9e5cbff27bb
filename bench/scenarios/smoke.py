"""A few seconds of everything, to prove the harness and the chat path end to end (CI)."""

from __future__ import annotations

from bench import prepare
from bench.environment import BenchEnvironment
from bench.scenarios.base import Context, Options, closed_loop, execute, open_loop

PAIRS = 3
MESSAGES = 20
IDLE_SOCKETS = 5
OPEN_RATE = 30.0
OPEN_SECONDS = 2.0
BUDGET_SECONDS = 25.0


def smoke(options: Options, environment: BenchEnvironment) -> dict:
    specs = prepare.create_pairs(PAIRS)
    idle_tokens = prepare.create_lone_users(IDLE_SOCKETS)
    options.budget = min(options.budget, BUDGET_SECONDS)

    async def drive(context: Context) -> None:
        await context.fleet.open_lone(idle_tokens)
        await context.fleet.open_rooms(specs)
        await closed_loop(context, name=f"closed {PAIRS}x{MESSAGES}", messages=MESSAGES)
        await open_loop(
            context, name=f"open {OPEN_RATE:g} msg/s", rate=OPEN_RATE, duration=OPEN_SECONDS
        )

    report = execute(name="smoke", options=options, environment=environment, drive=drive)
    integrity = report["integrity"]
    every_message_answered = (
        not integrity["cut_off"]
        and integrity["unacked"] == 0
        and not any(phase["errors"] for phase in report["phases"])
    )
    report["ok"] = report["ok"] and every_message_answered and "timed_out_after_s" not in report
    return report
