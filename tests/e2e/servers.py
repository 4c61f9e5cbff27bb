"""Real daphne processes for the end-to-end tests.

Each process runs the production ASGI application against the pytest test database and the
shared Redis, exactly as a deployment would run N processes behind one address. `start_launcher`
runs the production launcher instead (`python -m config.serve`: one port, several workers).
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psutil
from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 20
# Grace after SIGTERM before SIGKILL. Prompt exit on SIGTERM is tested in test_shutdown.py;
# here the only goal is that no process outlives its test.
STOP_TIMEOUT_SECONDS = 2
# The launcher forwards SIGTERM to its workers and gives them this long before killing them.
LAUNCHER_GRACEFUL_SECONDS = 5
# Where the processes store uploads unless a test gives them a MEDIA_ROOT of its own: a directory
# of the test run's, never the repository's media/.
SERVER_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="expert-support-media-"))
atexit.register(shutil.rmtree, SERVER_MEDIA_ROOT, ignore_errors=True)


class _ServedOnLoopback:
    """What the tests need of anything serving on a loopback port: its process and addresses."""

    port: int
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"


@dataclass
class DaphneServer(_ServedOnLoopback):
    name: str
    port: int
    access_log: Path
    stdout_log: Path
    stderr_log: Path
    process: subprocess.Popen = field(repr=False)

    def output(self) -> str:
        """Everything the process wrote: access log, stdout and stderr."""
        return "\n".join(
            path.read_text(errors="replace")
            for path in (self.access_log, self.stdout_log, self.stderr_log)
            if path.exists()
        )

    def kill_hard(self) -> None:
        """SIGKILL: the process dies without closing its sockets or cleaning up presence."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_of_test_db() -> str:
    """The URL of the database pytest-django created (NAME is the test database by now)."""
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


def server_environment(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url_of_test_db(),
        REDIS_URL=settings.REDIS_URL,
        REDIS_PREFIX=settings.REDIS_PREFIX,
        SECRET_KEY=settings.SECRET_KEY,
        JWT_SECRET=settings.JWT_SECRET,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        MEDIA_ROOT=str(SERVER_MEDIA_ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def launch(name: str, log_dir: Path, env: dict[str, str]) -> DaphneServer:
    port = free_port()
    access_log = log_dir / f"{name}-access.log"
    stdout_log = log_dir / f"{name}-stdout.log"
    stderr_log = log_dir / f"{name}-stderr.log"
    command = [
        sys.executable,
        "-m",
        "config.daphne_main",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "--access-log",
        str(access_log),
        "config.asgi:application",
    ]
    # Files, not pipes: a chatty process must never block on a pipe nobody reads.
    with stdout_log.open("wb") as stdout, stderr_log.open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL
        )
    return DaphneServer(name, port, access_log, stdout_log, stderr_log, process)


def _becomes_healthy(http_url: str, process: subprocess.Popen) -> bool:
    """Wait (bounded) for /healthz to answer 200; False if the process exits or time runs out."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{http_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    return False


def wait_until_healthy(server: DaphneServer) -> None:
    if _becomes_healthy(server.http_url, server.process):
        return
    server.stop()
    raise RuntimeError(
        f"daphne {server.name} did not become healthy on port {server.port} "
        f"(exit code {server.process.poll()}). Its stderr:\n"
        + server.stderr_log.read_text(errors="replace")
    )


def start_servers(
    count: int, log_dir: Path, *, first: int = 0, **env_overrides: str
) -> list[DaphneServer]:
    """Start `count` processes at once (they boot in parallel), then wait for each. They are
    named A, B, C... from the `first`-th letter, which also names their log files."""
    env = server_environment(**env_overrides)
    servers = [launch(chr(ord("A") + first + index), log_dir, env) for index in range(count)]
    try:
        for server in servers:
            wait_until_healthy(server)
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers: list[DaphneServer]) -> None:
    for server in servers:
        server.stop()


@dataclass
class Launcher(_ServedOnLoopback):
    """`python -m config.serve`: one port served by several worker processes, each restarted by
    the launcher when it dies."""

    port: int
    log: Path
    process: subprocess.Popen = field(repr=False)

    def workers(self) -> list[psutil.Process]:
        """The live worker processes (a dead one is not listed, even before it is reaped)."""
        try:
            children = psutil.Process(self.pid).children()
        except psutil.NoSuchProcess:
            return []
        live = []
        for child in children:
            try:
                if child.status() != psutil.STATUS_ZOMBIE:
                    live.append(child)
            except psutil.NoSuchProcess:
                continue
        return live

    def worker_answering(self) -> int | None:
        """The PID of the worker that answers one /healthz request (None: no answer). The
        connection is kept alive until the worker holding it is found."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            if not client.recv(1024):
                return None
            client_port = client.getsockname()[1]
            for worker in self.workers():
                try:
                    held = worker.net_connections(kind="tcp")
                except psutil.NoSuchProcess:
                    continue
                if any(c.raddr and c.raddr.port == client_port for c in held):
                    return worker.pid
        return None

    def wait_until_every_worker_answers(self, workers: int) -> bool:
        """/healthz answers as soon as one worker is up; the others may still be booting and
        not yet accepting. Ask until each worker has answered (bounded)."""
        answered: set[int] = set()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while len(answered) < workers and time.monotonic() < deadline:
            try:
                pid = self.worker_answering()
            except OSError:
                pid = None
            if pid is not None:
                answered.add(pid)
            else:
                time.sleep(0.1)
        return len(answered) >= workers

    def stop(self) -> None:
        """SIGTERM to the launcher (it stops its workers), then SIGKILL by PID to whatever is
        still there."""
        workers = self.workers()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=LAUNCHER_GRACEFUL_SECONDS + STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        for worker in workers:
            try:
                worker.kill()
            except psutil.NoSuchProcess:
                continue


def start_launcher(workers: int, log_dir: Path, **env_overrides: str) -> Launcher:
    """`python -m config.serve --workers N` on a free port, once each worker answers."""
    port = free_port()
    log = log_dir / "launcher.log"
    command = [
        *(sys.executable, "-m", "config.serve"),
        *("--workers", str(workers), "--port", str(port)),
        *("--graceful-timeout", str(LAUNCHER_GRACEFUL_SECONDS)),
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=server_environment(**env_overrides),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    launcher = Launcher(port=port, log=log, process=process)
    if not (
        _becomes_healthy(launcher.http_url, process)
        and launcher.wait_until_every_worker_answers(workers)
    ):
        launcher.stop()
        raise RuntimeError(
            f"config.serve did not become healthy on port {port} (exit code {process.poll()}). "
            "Its output:\n" + log.read_text(errors="replace")
        )
    return launcher
