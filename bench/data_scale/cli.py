"""`python -m bench data-scale [--sizes S,M,L] [--calls 20]`."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from bench.environment import RESULTS_DIR

DEFAULT_CALLS = 20


def _configure() -> str:
    """This run's own database (`<name>_scale`, created if missing) and Redis prefix: never the
    real ones. Returns the database URL."""
    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith(("postgres://", "postgresql://")):
        raise SystemExit("data-scale needs PostgreSQL: set DATABASE_URL=postgres://…/name")
    parts = urlsplit(source)
    name = parts.path.lstrip("/") or "postgres"
    url = urlunsplit(parts._replace(path=f"/{name}_scale"))
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_PREFIX"] = os.environ.get("REDIS_PREFIX", "expert-support") + "-scale"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return url


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench data-scale", description=__doc__)
    parser.add_argument("--sizes", default="S,M,L", help="comma-separated: S, M, L")
    parser.add_argument("--calls", type=int, default=DEFAULT_CALLS, help="calls per path")
    parser.add_argument("--json", dest="json_path", help="where to write the JSON results")
    args = parser.parse_args(argv)
    names = [name.strip().upper() for name in args.sizes.split(",") if name.strip()]
    if not names or any(name not in ("S", "M", "L") for name in names):
        parser.error("--sizes takes S, M and L, comma-separated")
    url = _configure()

    from bench.environment import BenchEnvironment, ensure_database

    ensure_database(BenchEnvironment(database_url=url, redis_url="", postgres=True))
    from bench.data_scale.populate import SIZES

    sizes = [SIZES[name] for name in names]

    from bench.data_scale.measure import paths, time_path
    from bench.data_scale.populate import counts, populate
    from bench.data_scale.replay import time_replay
    from bench.server import server

    results: dict[str, dict] = {}
    for size in sizes:
        seconds = populate(size)
        print(f"{size.name}: populated in {seconds:.0f} s: {counts()}", flush=True)
        results[size.name] = {"populate_seconds": round(seconds, 1), "rows": counts(), "paths": {}}
        with server(workers=1, env={}, label=f"data-scale-{size.name}") as running:
            base = running.url.replace("ws://", "http://").removesuffix("/ws/")
            counter = 0
            for path in paths(size):
                timing, counter = time_path(path, base_url=base, calls=args.calls, counter=counter)
                results[size.name]["paths"][path.name] = timing.__dict__
                print(
                    f"  {path.name:44} {timing.median_ms:9.1f} ms  {timing.queries} queries  "
                    f"(HTTP {','.join(map(str, timing.statuses))}, {timing.calls} calls)",
                    flush=True,
                )
            replay = time_replay(ws_url=running.url, calls=min(args.calls, 5))
            for name, ms in (
                ("WS join 10,000 behind: joined", replay.joined_ms),
                ("WS join 10,000 behind: last message", replay.last_message_ms),
            ):
                results[size.name]["paths"][name] = {
                    "median_ms": ms,
                    "calls": replay.calls,
                    "queries": "-",
                    "statuses": [101],
                }
                print(f"  {name:44} {ms:9.1f} ms  ({replay.calls} joins)", flush=True)
    print()
    print(render(results))
    RESULTS_DIR.mkdir(exist_ok=True)
    out = args.json_path or RESULTS_DIR / f"data-scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    with open(out, "w") as handle:
        json.dump(results, handle, indent=2)
    print(f"results: {out}")
    failed = [
        (size, name)
        for size, result in results.items()
        for name, timing in result["paths"].items()
        if any(status >= 500 for status in timing["statuses"])
    ]
    if failed:
        print(f"server errors: {failed}", file=sys.stderr)
    return 1 if failed else 0


def render(results: dict[str, dict]) -> str:
    """The table: median ms (and queries) per path and size, and the ratio of the largest size
    to the smallest."""
    sizes = list(results)
    names = list(next(iter(results.values()))["paths"])
    header = ["path", *(f"{size} ms (queries)" for size in sizes)]
    if len(sizes) > 1:
        header.append(f"{sizes[-1]}/{sizes[0]}")
    rows = [header]
    for name in names:
        cells = [name]
        for size in sizes:
            timing = results[size]["paths"][name]
            cells.append(f"{timing['median_ms']:,.1f} ({timing['queries']})")
        if len(sizes) > 1:
            first = results[sizes[0]]["paths"][name]["median_ms"]
            last = results[sizes[-1]]["paths"][name]["median_ms"]
            cells.append(f"{last / first:.1f}x" if first else "-")
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)
