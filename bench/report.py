"""The readable table and the JSON file of a bench run."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import psutil

from bench.environment import RESULTS_DIR

COLUMNS = [
    ("phase", 22),
    ("sent", 7),
    ("acked", 7),
    ("recv", 7),
    ("msg/s", 8),
    ("p50", 7),
    ("p95", 7),
    ("p99", 7),
    ("max", 7),
    ("ack p50", 8),
    ("ack p99", 8),
    ("errors", 18),
    ("srvCPU%", 8),
    ("ms CPU/msg", 10),
    ("srvRSS", 8),
    ("cliCPU%", 8),
    ("hostCPU%", 8),
]


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _row(phase: dict) -> list[str]:
    latency = phase["latency_ms"]
    errors = ",".join(f"{code}:{count}" for code, count in phase["errors"].items())
    return [
        phase["phase"],
        phase["sent"],
        phase["acked"],
        phase["received"],
        phase["delivered_per_s"],
        latency["p50"],
        latency["p95"],
        latency["p99"],
        latency["max"],
        phase.get("ack_latency_ms", {}).get("p50"),
        phase.get("ack_latency_ms", {}).get("p99"),
        errors or "-",
        phase.get("server_cpu_avg_percent"),
        phase.get("server_cpu_ms_per_message"),
        phase.get("server_rss_peak_mb"),
        phase.get("client_cpu_avg_percent"),
        phase.get("machine_cpu_avg_percent"),
    ]


# Keys shown in a scenario's header or tables; the others are printed as extra facts.
SUMMARY_KEYS = {
    "scenario",
    "server",
    "workers",
    "listen",
    "url",
    "server_env",
    "phases",
    "integrity",
    "ok",
    "rss_timeline",
}


def _timeline(rows: list[dict]) -> list[str]:
    """The soak's memory readings, one line each."""
    lines = ["   server RSS over time (MB; by PID: the launcher and its workers):"]
    for row in rows:
        by_pid = " ".join(f"{pid}:{mb:g}" for pid, mb in row["rss_mb_by_pid"].items())
        lines.append(
            f"   {row['elapsed_s']:>8.1f}s  total {row['server_rss_mb']:>7.1f}  [{by_pid}]  "
            f"delivered {row['delivered']:>6}  p99 {_cell(row['p99_ms'])} ms"
        )
    return lines


def render(report: dict) -> str:
    integrity = report["integrity"]
    lines = [
        (
            f"== {report['scenario']}  server={report['server'] or 'external'}  "
            f"workers={report['workers'] or 'external'}  "
            f"listen={report.get('listen') or 'external'}  "
            f"{'OK' if report['ok'] else 'FAILED'}"
        ),
        "  ".join(name.rjust(width) for name, width in COLUMNS),
    ]
    for phase in report["phases"]:
        cells = [_cell(value) for value in _row(phase)]
        lines.append(
            "  ".join(cell.rjust(width) for cell, (_, width) in zip(cells, COLUMNS, strict=True))
        )
    lines.append(
        "   integrity: "
        + " ".join(f"{key}={value}" for key, value in integrity.items() if key != "ok")
    )
    if report.get("rss_timeline"):
        lines.extend(_timeline(report["rss_timeline"]))
    facts = {
        key: value
        for key, value in report.items()
        if key not in SUMMARY_KEYS and value not in ({}, None)
    }
    if facts:
        lines.append("   " + " ".join(f"{key}={value}" for key, value in facts.items()))
    lines.append("   (latency in ms, send -> receipt by the other party; RSS in MB, all processes)")
    return "\n".join(lines)


def machine() -> dict:
    return {
        "cpus": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_json(reports: list[dict], *, scenario: str, path: str | None) -> Path:
    target = (
        Path(path) if path else RESULTS_DIR / f"{scenario}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    document = {"scenario": scenario, "machine": machine(), "reports": reports}
    target.write_text(json.dumps(document, indent=2, default=str))
    return target
