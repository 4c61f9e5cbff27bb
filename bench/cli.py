"""`python -m bench <scenario> [options]`: run load scenarios against the chat path.

Scenarios: closed, closed-idle, open, connect, storm, idle, overload, all, smoke, soak. The exit
status is 1 when any message was lost, duplicated, delivered out of order or acknowledged but not
stored. `python -m bench data-scale` measures how the REST API and admin grow with the data
(bench/data_scale).
"""

from __future__ import annotations

import argparse
import sys

from bench import environment as bench_environment

SCENARIO_NAMES = [
    "closed",
    "closed-idle",
    "open",
    "connect",
    "storm",
    "idle",
    "overload",
    "all",
    "smoke",
    "soak",
]


def _rates(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text}") from exc
    if not rates or any(rate <= 0 for rate in rates):
        raise argparse.ArgumentTypeError("rates must be positive")
    return rates


def _rate_limit(text: str) -> tuple[float, int]:
    try:
        rate, burst = text.split("/")
        return float(rate), int(burst)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected RATE/BURST, for example 10/20") from exc


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be positive")
        return value

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("scenario", choices=SCENARIO_NAMES)
    parser.add_argument("--pairs", type=_positive(int), default=50, help="active user/expert pairs")
    parser.add_argument("--messages", type=_positive(int), default=200, help="per pair (closed)")
    parser.add_argument("--rate", type=_positive(float), help="total msg/s (open, overload, soak)")
    parser.add_argument("--rates", type=_rates, default=[], help="open: step through R1,R2,...")
    parser.add_argument(
        "--duration", type=_positive(float), help="seconds per open-loop step; soak: its length"
    )
    parser.add_argument("--idle", type=int, help="idle sockets (idle) or idle pairs (closed-idle)")
    parser.add_argument("--connects", type=_positive(int), default=1000, help="connect storm size")
    parser.add_argument("--workers", type=_positive(int), help="server processes (default: CPUs)")
    parser.add_argument(
        "--server", choices=("daphne", "uvicorn"), default="daphne", help="ASGI server"
    )
    parser.add_argument(
        "--listen",
        choices=("reuseport", "shared", "ports"),
        help="config.serve --listen: a socket per worker on one port (its default), one shared "
        "socket, or one port per worker with the sockets spread over them in turn",
    )
    parser.add_argument("--url", help="target a running server (ws://host:port/ws/) instead")
    parser.add_argument("--rate-limit", type=_rate_limit, help="overload: server limit RATE/BURST")
    parser.add_argument(
        "--budget", type=_positive(float), default=600.0, help="seconds per scenario"
    )
    parser.add_argument("--json", dest="json_path", help="where to write the JSON results")
    args = parser.parse_args(argv)
    if args.idle is not None and args.idle < 0:
        parser.error("--idle must not be negative")
    if args.url and not args.url.startswith(("ws://127.0.0.1", "ws://localhost", "ws://[::1]")):
        parser.error("--url must be a loopback address: the bench never loads a remote server")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["data-scale"]:
        # Not a load scenario: the cost of the REST API and admin as the data grows.
        from bench.data_scale.cli import main as data_scale

        return data_scale(argv[1:])
    args = parse_args(argv)
    environment = bench_environment.configure(target_url=args.url)
    bench_environment.ensure_database(environment)

    # Django is set up only now, with the bench's database.
    from bench.prepare import wipe
    from bench.report import render, write_json
    from bench.scenarios import ALL, SCENARIOS
    from bench.scenarios.base import Options

    options = Options(
        pairs=args.pairs,
        messages=args.messages,
        rate=args.rate,
        rates=args.rates,
        duration=args.duration,
        idle=args.idle,
        connects=args.connects,
        workers=args.workers,
        server=args.server,
        url=args.url,
        listen=args.listen,
        rate_limit=args.rate_limit,
        budget=args.budget,
    )
    names = ALL if args.scenario == "all" else [args.scenario]
    reports = []
    try:
        for name in names:
            wipe()  # each scenario starts from an empty set of bench users and rooms
            report = SCENARIOS[name](options, environment)
            reports.append(report)
            print(render(report), flush=True)
    except KeyboardInterrupt:
        print("interrupted; the server was stopped", file=sys.stderr)
        return 130
    finally:
        if reports:
            path = write_json(reports, scenario=args.scenario, path=args.json_path)
            print(f"results: {path}")
    return 0 if all(report["ok"] for report in reports) else 1
