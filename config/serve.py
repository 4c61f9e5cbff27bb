"""Production launcher: one address, several server processes accepting on it.

    python -m config.serve [--workers N] [--host H] [--port P] [--server daphne|uvicorn]
                           [--listen reuseport|shared|ports]

The parent binds the listening sockets and hands each child its file descriptor (`--fd` of
daphne, through config.daphne_main, or of uvicorn). How (`--listen`):

- `reuseport` (the default where the system has SO_REUSEPORT, as Linux does): one socket per
  worker, all on the same port; the kernel hands each new connection to one of them by a hash
  of its addresses, so the workers get about the same number.
- `shared`: one socket that every worker accepts on. Whichever worker wakes first takes the
  connection, and under load the busiest worker keeps winning: connections pile up on one.
- `ports`: worker i listens on port + i, for a load balancer in front (deploy/nginx.conf).

The parent stays small: it forwards SIGTERM/SIGINT to the children, waits for them, and
restarts a child that dies unexpectedly. The socket of a dead worker is closed until its
replacement starts (with `reuseport` the kernel then sends its share to the others; with `ports`
the load balancer gets a refusal and tries another). Rooms, presence and notifications are
shared through Redis, so more than one worker needs REDIS_URL.

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
from django.core.exceptions import ImproperlyConfigured
from prometheus_client import multiprocess

BASE_DIR = Path(__file__).resolve().parent.parent
logger = logging.getLogger("config.serve")

# A child that crashes again within this many seconds of starting is restarted ever more slowly.
STABLE_AFTER_SECONDS = 30
MAX_BACKOFF_SECONDS = 30
LISTEN_BACKLOG = 4096
SERVERS = ("daphne", "uvicorn")
LISTEN_MODES = ("reuseport", "shared", "ports")
DEFAULT_LISTEN = "reuseport" if hasattr(socket, "SO_REUSEPORT") else "shared"


class LaunchError(Exception):
    """The launcher cannot start as configured; the message says what to change."""


@dataclass
class Worker:
    index: int
    process: subprocess.Popen | None = None
    listener: socket.socket | None = None
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
        "--listen",
        choices=LISTEN_MODES,
        default=DEFAULT_LISTEN,
        help="reuseport: a socket per worker on one port, connections spread evenly (default "
        "where available); shared: one socket for all; ports: worker i on port + i",
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
    if args.listen == "reuseport" and not hasattr(socket, "SO_REUSEPORT"):
        parser.error("--listen reuseport: this system has no SO_REUSEPORT; use shared")
    return args


def check_configuration(*, workers: int) -> None:
    # Lazily: the settings module imports it too, and the launcher reads no settings of its own.
    from config.redis_url import redis_servers

    try:
        servers = redis_servers(os.environ.get("REDIS_URL", ""))
    except ImproperlyConfigured as exc:
        raise LaunchError(str(exc)) from None
    if workers > 1 and not servers:
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


def bind(*, host: str, port: int, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server(
        (host, port), family=family, backlog=LISTEN_BACKLOG, reuse_port=reuse_port
    )
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


@dataclass
class Listeners:
    """The listening socket of each worker, as `--listen` says."""

    host: str
    port: int
    mode: str
    workers: int
    shared: socket.socket | None = None

    def __post_init__(self) -> None:
        if self.mode == "shared":
            self.shared = bind(host=self.host, port=self.port)
            return
        # Fail now, as a plain bind would, if anything holds a port already: with reuseport,
        # an earlier launcher still running would otherwise share it silently.
        ports = range(self.port, self.port + (self.workers if self.mode == "ports" else 1))
        for port in ports:
            bind(host=self.host, port=port).close()

    def open(self, index: int) -> socket.socket:
        if self.shared is not None:
            return self.shared
        if self.mode == "ports":
            return bind(host=self.host, port=self.port + index)
        return bind(host=self.host, port=self.port, reuse_port=True)

    def release(self, listener: socket.socket) -> None:
        """The worker on `listener` has died: stop taking connections nobody will accept."""
        if listener is not self.shared:
            listener.close()

    def close(self) -> None:
        if self.shared is not None:
            self.shared.close()


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
        listeners: Listeners,
        server: str,
        workers: int,
        verbosity: int,
        graceful_timeout: float,
    ):
        self.listeners = listeners
        self.graceful_timeout = graceful_timeout
        self.server = server
        self.verbosity = verbosity
        self.workers = [Worker(index=i) for i in range(workers)]
        self.stopping = False

    def start(self, worker: Worker) -> None:
        if worker.listener is None:
            worker.listener = self.listeners.open(worker.index)
        fd = worker.listener.fileno()
        command = child_command(server=self.server, fd=fd, verbosity=self.verbosity)
        worker.process = subprocess.Popen(command, cwd=BASE_DIR, pass_fds=(fd,))
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
                    self.restart(worker)
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
            if worker.listener is not None:
                self.listeners.release(worker.listener)
                worker.listener = None
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

    def restart(self, worker: Worker) -> None:
        try:
            self.start(worker)
        except OSError as exc:  # its port was taken meanwhile: try again later
            worker.backoff = min(worker.backoff * 2, MAX_BACKOFF_SECONDS)
            worker.restart_at = time.monotonic() + worker.backoff
            logger.warning("worker %d could not listen again (%s); retrying", worker.index, exc)

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
        for worker in self.workers:
            if worker.listener is not None:
                self.listeners.release(worker.listener)
        self.listeners.close()
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
    try:
        listeners = Listeners(
            host=args.host, port=args.port, mode=args.listen, workers=args.workers
        )
    except OSError as exc:
        print(f"config.serve: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    metrics_directory, own_directory = prepare_metrics_directory()
    supervisor = Supervisor(
        listeners=listeners,
        server=args.server,
        workers=args.workers,
        verbosity=args.verbosity,
        graceful_timeout=args.graceful_timeout,
    )
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    logger.info(
        "serving on %s:%d with %d %s worker(s), listening: %s",
        args.host,
        args.port,
        args.workers,
        args.server,
        args.listen,
    )
    try:
        return supervisor.run()
    finally:
        if own_directory:
            shutil.rmtree(metrics_directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
