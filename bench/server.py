"""Start the server in its production shape (config.serve), watch its CPU and memory, stop it.

The server runs in its own session with its output in bench-results/, and is always stopped by
PID on the way out, also after an error or Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import psutil

from bench.environment import BASE_DIR, RESULTS_DIR

HEALTH_TIMEOUT_SECONDS = 40
# The bench's clients are all gone by the time it stops the server: no need to wait long.
GRACEFUL_SECONDS = 3
STOP_TIMEOUT_SECONDS = 20
SAMPLE_INTERVAL_SECONDS = 0.25


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (for `--listen ports`)."""
    while True:
        first = free_port()
        if all(_is_free(first + offset) for offset in range(1, count)):
            return first


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class RunningServer:
    urls: list[str]
    process: subprocess.Popen | None
    log_path: str | None = None

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def ports(self) -> set[int]:
        return {int(url.rsplit(":", 1)[1].split("/")[0]) for url in self.urls}


def _wait_healthy(*, port: int, process: subprocess.Popen, log_path: str) -> None:
    deadline = time.perf_counter() + HEALTH_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not become healthy in time; see {log_path}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    children = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in children:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextmanager
def server(
    *,
    workers: int,
    env: dict[str, str],
    label: str,
    target_url: str | None = None,
    listen: str | None = None,
):
    """Yield a RunningServer: the given --url, or config.serve started on a free loopback port
    (`listen`: its --listen; with `ports`, worker i on port + i, one URL each)."""
    if target_url:
        yield RunningServer(urls=[target_url.rstrip("/") + "/"], process=None)
        return
    ports = workers if listen == "ports" else 1
    port = free_ports(ports)
    RESULTS_DIR.mkdir(exist_ok=True)
    log_path = str(RESULTS_DIR / f"server-{label}.log")
    command = [
        *(sys.executable, "-m", "config.serve", "--workers", str(workers), "--port", str(port)),
        *("--graceful-timeout", str(GRACEFUL_SECONDS)),
        *(("--listen", listen) if listen else ()),
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the bench only; it stops the server itself
        )
    try:
        for offset in range(ports):
            _wait_healthy(port=port + offset, process=process, log_path=log_path)
        urls = [f"ws://127.0.0.1:{port + offset}/ws/" for offset in range(ports)]
        yield RunningServer(urls=urls, process=process, log_path=log_path)
    finally:
        _stop(process)


@dataclass
class ResourceSampler:
    """Samples CPU and RSS of the server (parent + children) and of this client process."""

    server_pid: int | None
    # (time, server CPU %, server RSS bytes, client CPU %, whole-machine CPU %,
    #  server CPU seconds used so far, all processes, the ended ones included)
    samples: list[tuple[float, float, int, float, float, float]] = field(default_factory=list)
    _processes: dict[int, psutil.Process] = field(default_factory=dict)
    # Each server process's CPU seconds (user + system) at its last reading.
    _cpu_seconds: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self._client = psutil.Process()
        self._client.cpu_percent()
        psutil.cpu_percent()

    def server_processes(self) -> list[psutil.Process]:
        if self.server_pid is None:
            return []
        try:
            parent = psutil.Process(self.server_pid)
            current = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        for process in current:
            if process.pid not in self._processes:
                self._processes[process.pid] = process
                process.cpu_percent()  # the first call only primes the counter
        return [self._processes[process.pid] for process in current]

    def server_rss(self) -> int:
        total = 0
        for process in self.server_processes():
            with suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total

    def server_pids(self) -> list[int]:
        return [process.pid for process in self.server_processes()]

    def client_ports_per_worker(self, ports: set[int]) -> dict[int, set[int]]:
        """The established connections each server process holds on the server's ports, by
        PID, as the clients' ports (a worker holding none is listed too)."""
        held = {}
        for process in self.server_processes()[1:]:  # the launcher itself holds none
            with suppress(psutil.NoSuchProcess):
                held[process.pid] = {
                    connection.raddr.port
                    for connection in process.net_connections(kind="tcp")
                    if connection.status == psutil.CONN_ESTABLISHED
                    and connection.laddr.port in ports
                    and connection.raddr
                }
        return held

    def sample(self) -> None:
        cpu, rss = 0.0, 0
        for process in self.server_processes():
            try:
                cpu += process.cpu_percent()
                rss += process.memory_info().rss
                times = process.cpu_times()
                self._cpu_seconds[process.pid] = times.user + times.system
            except psutil.NoSuchProcess:
                pass
        self.samples.append(
            (
                time.perf_counter(),
                cpu,
                rss,
                self._client.cpu_percent(),
                psutil.cpu_percent(),
                sum(self._cpu_seconds.values()),
            )
        )

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_SECONDS):
            self.sample()

    def __enter__(self) -> ResourceSampler:
        self.server_processes()
        self._thread = threading.Thread(target=self._run, name="resource-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _cpu_seconds_before(self, sample: tuple) -> float:
        """The server's CPU seconds at the reading before `sample` (its own, if the first)."""
        index = self.samples.index(sample)
        return self.samples[max(0, index - 1)][5]

    def summary(self, *, since: float = 0.0, until: float | None = None) -> dict:
        # The first sample's CPU covers the time since priming; skip it when there are others.
        window = [s for s in self.samples[1:] or self.samples if since <= s[0]]
        samples = [s for s in window if until is None or s[0] <= until] or window[:1]
        if not samples or self.server_pid is None:
            return {"server_cpu_avg_percent": None, "server_rss_peak_mb": None}
        cpu = [s[1] for s in samples]
        return {
            "server_processes": len(self._processes),
            "server_cpu_avg_percent": round(sum(cpu) / len(cpu), 1),
            "server_cpu_peak_percent": round(max(cpu), 1),
            # CPU seconds the server processes used between the window's first and last sample.
            "server_cpu_seconds": round(samples[-1][5] - self._cpu_seconds_before(samples[0]), 3),
            "server_rss_start_mb": round(samples[0][2] / 2**20, 1),
            "server_rss_peak_mb": round(max(s[2] for s in samples) / 2**20, 1),
            "server_rss_end_mb": round(samples[-1][2] / 2**20, 1),
            "client_cpu_avg_percent": round(sum(s[3] for s in samples) / len(samples), 1),
            # Everything on the machine (PostgreSQL, Redis, other load), 100 = every core busy.
            "machine_cpu_avg_percent": round(sum(s[4] for s in samples) / len(samples), 1),
        }
