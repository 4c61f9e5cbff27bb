"""Production launcher: one listening socket, several server processes accepting on it.

    python -m config.serve [--workers N] [--host H] [--port P] [--server daphne|uvicorn]

The parent binds the TCP socket once and hands its file descriptor to every child (`--fd` of
daphne, through config.daphne_main, or of uvicorn), so N processes serve one address and the
kernel spreads new connections between them. The parent stays small: it forwards SIGTERM/SIGINT
to the children, waits for them, and restarts a child that dies unexpectedly. Rooms, presence and
notifications are shared through Redis, so more than one worker needs REDIS_URL.

Metrics: the workers run prometheus-client's multiprocess mode in PROMETHEUS_MULTIPROC_DIR (a
directory of the launcher's own, removed at exit, unless that variable names one, which is
emptied at start), so `/metrics` of whichever worker answers reports every worker, and counters
keep counting across a worker's restart.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import environ
from prometheus_client import multiprocess

BASE_DIR = Path(__file__).resolve().parent.parent
logger = logging.getLogger("config.serve")

# A child that crashes again within this many seconds of starting is restarted ever more slowly.
STABLE_AFTER_SECONDS = 30
MAX_BACKOFF_SECONDS = 30
LISTEN_BACKLOG = 4096
SERVERS = ("daphne", "uvicorn")


class LaunchError(Exception):
    """The launcher cannot start as configured; the message says what to change."""


@dataclass
class Worker:
    index: int
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = 0.5
    restart_at: float | None = None
    restarts: int = field(default=0)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m config.serve", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--server",
        choices=SERVERS,
        default=os.environ.get("ASGI_SERVER", "daphne"),
        help="ASGI server of the workers: daphne (default) or uvicorn (faster, see "
        "docs/performance.md)",
    )
    parser.add_argument(
        "--verbosity", type=int, default=1, help="daphne verbosity (0 turns the access log off)"
    )
    parser.add_argument(
        "--graceful-timeout",
        type=float,
        default=15.0,
        help="seconds the workers get to stop after SIGTERM before they are killed",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    return args


def check_configuration(*, workers: int) -> None:
    if workers > 1 and not os.environ.get("REDIS_URL"):
        raise LaunchError(
            f"--workers {workers} needs REDIS_URL: without Redis each process has its own "
            "in-memory channel layer, so users on different processes could not chat. "
            "Set REDIS_URL, or run with --workers 1."
        )


def raise_open_files_limit() -> None:
    """Every WebSocket is a file descriptor; the default soft limit (often 1024) is far too low.
    Children inherit the raised limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:
            logger.warning("could not raise the open-files limit above %s: %s", soft, exc)


def bind(*, host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=LISTEN_BACKLOG)
    listener.set_inheritable(True)
    return listener


METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics_directory() -> tuple[str, bool]:
    """The workers' PROMETHEUS_MULTIPROC_DIR, emptied (files of an earlier run would be counted
    again), and whether the launcher created it (then it removes it at exit)."""
    directory = os.environ.get(METRICS_DIR_VARIABLE, "").strip()
    if not directory:
        directory = tempfile.mkdtemp(prefix="expert-support-metrics-")
        os.environ[METRICS_DIR_VARIABLE] = directory
        return directory, True
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))
    return directory, False


def proxy_options(*, uvicorn: bool) -> list[str]:
    """Trust the proxy's X-Forwarded-* headers only when PROXY_HEADERS=true: without a proxy in
    front that sets them, any client could claim any address (and dodge the per-address
    limits) or HTTPS."""
    if os.environ.get("PROXY_HEADERS", "").strip().lower() not in {"1", "true", "yes", "on"}:
        return ["--no-proxy-headers"] if uvicorn else []
    return ["--proxy-headers"]


def ws_max_frame_bytes() -> int:
    """settings.WS_MAX_FRAME_BYTES: frames above it close the socket with 1009 (SPEC)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    return int(settings.WS_MAX_FRAME_BYTES)


def child_command(*, server: str, fd: int, verbosity: int) -> list[str]:
    """The command of one worker, accepting on the inherited socket `fd`."""
    if server == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--fd",
            str(fd),
            "--ws-max-size",
            str(ws_max_frame_bytes()),  # uvicorn closes larger frames with 1009 itself
            *proxy_options(uvicorn=True),
            "--lifespan",
            "off",
            # uvicorn's access and connection log lines carry query strings, and so `?token=`:
            # they stay off. Warnings and errors are still logged.
            "--no-access-log",
            "--log-level",
            "warning",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--ws",
            "websockets",
            "config.asgi:application",
        ]
    # config.daphne_main is daphne with oversized frames closed with 1009 (see SPEC), at the
    # size limit of the settings.
    return [
        sys.executable,
        "-m",
        "config.daphne_main",
        "--fd",
        str(fd),
        *proxy_options(uvicorn=False),
        "-v",
        str(verbosity),
        "config.asgi:application",
    ]


def forget_metrics_of(pid: int) -> None:
    """A worker is gone: its per-process gauges (open sockets...) stop being reported."""
    directory = os.environ.get(METRICS_DIR_VARIABLE)
    if directory:
        multiprocess.mark_process_dead(pid, directory)


class Supervisor:
    def __init__(
        self,
        *,
        listener: socket.socket,
        server: str,
        workers: int,
        verbosity: int,
        graceful_timeout: float,
    ):
        self.listener = listener
        self.graceful_timeout = graceful_timeout
        self.command = child_command(server=server, fd=listener.fileno(), verbosity=verbosity)
        self.workers = [Worker(index=i) for i in range(workers)]
        self.stopping = False

    def start(self, worker: Worker) -> None:
        worker.process = subprocess.Popen(
            self.command, cwd=BASE_DIR, pass_fds=(self.listener.fileno(),)
        )
        worker.started_at = time.monotonic()
        worker.restart_at = None
        logger.info("worker %d started (pid %d)", worker.index, worker.process.pid)

    def request_stop(self, signum: int, _frame) -> None:
        self.stopping = True
        for worker in self.workers:
            if worker.process and worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)

    def run(self) -> int:
        for worker in self.workers:
            self.start(worker)
        while not self.stopping:
            self.reap_and_restart()
            time.sleep(0.2)
        return self.wait_for_children()

    def reap_and_restart(self) -> None:
        now = time.monotonic()
        for worker in self.workers:
            if worker.restart_at is not None:
                if now >= worker.restart_at:
                    self.start(worker)
                continue
            if worker.process is None:
                continue
            code = worker.process.poll()
            if code is None:
                continue
            # A worker that had been up for a while gets a quick restart; one that keeps
            # crashing at start-up (bad configuration, database down) is retried ever more slowly.
            if now - worker.started_at >= STABLE_AFTER_SECONDS:
                worker.backoff = 0.5
            else:
                worker.backoff = min(worker.backoff * 2, MAX_BACKOFF_SECONDS)
            worker.restart_at = now + worker.backoff
            worker.restarts += 1
            forget_metrics_of(worker.process.pid)
            logger.warning(
                "worker %d (pid %d) exited with %s; restarting in %.1fs",
                worker.index,
                worker.process.pid,
                code,
                worker.backoff,
            )

    def wait_for_children(self) -> int:
        deadline = time.monotonic() + self.graceful_timeout
        for worker in self.workers:
            if worker.process is None:
                continue
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("worker %d did not stop in time; killing it", worker.index)
                worker.process.kill()
                worker.process.wait()
            forget_metrics_of(worker.process.pid)
        self.listener.close()
        return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Same source of configuration as the settings, so the checks here see what children will.
    if (BASE_DIR / ".env").exists():
        environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    args = parse_args(argv)
    try:
        check_configuration(workers=args.workers)
    except LaunchError as exc:
        print(f"config.serve: {exc}", file=sys.stderr)
        return 2
    raise_open_files_limit()
    metrics_directory, own_directory = prepare_metrics_directory()
    listener = bind(host=args.host, port=args.port)
    supervisor = Supervisor(
        listener=listener,
        server=args.server,
        workers=args.workers,
        verbosity=args.verbosity,
        graceful_timeout=args.graceful_timeout,
    )
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    logger.info(
        "serving on %s:%d with %d %s worker(s)", args.host, args.port, args.workers, args.server
    )
    try:
        return supervisor.run()
    finally:
        if own_directory:
            shutil.rmtree(metrics_directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
