"""The production launcher: one address served by several real server processes."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.factories import UserFactory
from tests.helpers.api import access_token_for
from tests.helpers.markers import requires_services

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_of_tests() -> str:
    database = settings.DATABASES["default"]
    user = database.get("USER") or "postgres"
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{database['NAME']}"


def launch(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "config.serve", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_until(predicate, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (urllib.error.URLError, OSError, psutil.Error):
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def daphne_children(parent: subprocess.Popen) -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process(parent.pid).children()
        if child.is_running() and child.status() != psutil.STATUS_ZOMBIE
    ]


def serve_environment() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url_of_tests(),
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_PREFIX": f"{settings.REDIS_PREFIX}-serve-{uuid.uuid4().hex[:8]}",
        # The test mints tokens the workers must accept.
        "SECRET_KEY": settings.SECRET_KEY,
        "JWT_SECRET": settings.JWT_SECRET,
        "DEBUG": "false",
    }


@contextmanager
def serving(*args: str, port: int, log: Path) -> Iterator[subprocess.Popen]:
    """config.serve with `args` on `port`, once /healthz answers there; stopped by PID."""
    parent = launch(
        *args, "--port", str(port), "--graceful-timeout", "5", env=serve_environment(), log=log
    )
    try:
        wait_until(lambda: healthz(port) == 200, seconds=STARTUP_SECONDS, what="/healthz 200")
        yield parent
    finally:
        if parent.poll() is None:
            parent.send_signal(signal.SIGTERM)
            try:
                parent.wait(timeout=15)
            except subprocess.TimeoutExpired:
                parent.kill()
                parent.wait()


@pytest.fixture(params=["daphne"])
def two_workers(request, tmp_path):
    """config.serve with 2 workers on a free port, against the test database and Redis."""
    port = free_port()
    log = tmp_path / "serve.log"
    with serving("--server", request.param, "--workers", "2", port=port, log=log) as parent:
        yield parent, port, log


@requires_services
@pytest.mark.django_db(transaction=True)
def test_two_workers_serve_one_port_and_all_exit_on_sigterm(two_workers):
    parent, port, _log = two_workers
    assert [healthz(port) for _ in range(6)] == [200] * 6
    children = daphne_children(parent)
    assert len({child.pid for child in children}) == 2
    assert all("config.daphne_main" in child.cmdline() for child in children)

    parent.send_signal(signal.SIGTERM)

    assert parent.wait(timeout=15) == 0
    assert not any(child.is_running() and child.status() != "zombie" for child in children)


@requires_services
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_dies_is_replaced_and_the_port_keeps_answering(two_workers):
    parent, port, log = two_workers
    victim = daphne_children(parent)[0]

    victim.kill()

    def replaced() -> bool:
        pids = {child.pid for child in daphne_children(parent)}
        return len(pids) == 2 and victim.pid not in pids

    wait_until(replaced, seconds=STARTUP_SECONDS, what="a replacement worker")
    wait_until(lambda: healthz(port) == 200, seconds=STARTUP_SECONDS, what="/healthz 200")
    assert "restarting" in log.read_text()


@requires_services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("two_workers", ["uvicorn"], indirect=True)
def test_uvicorn_workers_keep_the_socket_contract(two_workers):
    """The optional uvicorn workers: refused handshakes get 403, a frame over 64 KiB closes
    with 1009, and the `?token=` never reaches the log."""
    parent, port, log = two_workers
    children = daphne_children(parent)
    assert len(children) == 2
    assert all("uvicorn" in child.cmdline() for child in children)
    token = access_token_for(UserFactory.create())
    url = f"ws://127.0.0.1:{port}/ws/"

    async def exercise() -> int | None:
        with pytest.raises(InvalidStatus) as refused:
            await connect(url)
        assert refused.value.response.status_code == 403
        async with connect(f"{url}?token={token}") as socket:
            await socket.send(json.dumps({"type": "nonsense"}))
            assert json.loads(await socket.recv())["code"] == "unknown_type"
            await socket.send("x" * 70_000)
            with pytest.raises(ConnectionClosed):
                await socket.recv()
            return socket.close_code

    assert asyncio.run(exercise()) == 1009
    assert token not in log.read_text()


def test_more_than_one_worker_without_redis_is_refused_with_a_clear_message(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    log = tmp_path / "serve.log"
    parent = launch("--workers", "2", "--port", str(free_port()), env=env, log=log)
    try:
        assert parent.wait(timeout=30) == 2
    finally:
        if parent.poll() is None:
            parent.kill()
    assert "needs REDIS_URL" in log.read_text()


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
def test_proxy_headers_are_trusted_only_when_told(server, monkeypatch):
    from config.serve import child_command

    monkeypatch.delenv("PROXY_HEADERS", raising=False)
    assert "--proxy-headers" not in child_command(server=server, fd=3, verbosity=1)

    monkeypatch.setenv("PROXY_HEADERS", "true")
    assert "--proxy-headers" in child_command(server=server, fd=3, verbosity=1)


def _connections_per_worker(parent: subprocess.Popen, port: int, count: int) -> list[int]:
    """Open `count` connections to the port, each answered once (so a worker has accepted it),
    and count how many each worker holds."""
    with ExitStack() as held:
        local_ports = set()
        for _ in range(count):
            client = held.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
            client.sendall(b"GET /healthz/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.1 200")
            local_ports.add(client.getsockname()[1])
        return sorted(
            sum(
                1
                for held_socket in worker.net_connections(kind="tcp")
                if held_socket.raddr and held_socket.raddr.port in local_ports
            )
            for worker in daphne_children(parent)
        )


@requires_services
@pytest.mark.django_db(transaction=True)
def test_with_reuseport_each_worker_listens_on_its_own_socket_and_both_get_connections(tmp_path):
    port = free_port()
    with serving(
        "--workers", "2", "--listen", "reuseport", port=port, log=tmp_path / "log"
    ) as parent:
        listening = [
            sum(1 for c in worker.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN)
            for worker in daphne_children(parent)
        ]
        per_worker = _connections_per_worker(parent, port, 40)

    assert listening == [1, 1]
    # The kernel hashes each connection onto a socket: all 40 on one worker has odds of 2^-39.
    assert sum(per_worker) == 40
    assert min(per_worker) > 0


@requires_services
@pytest.mark.django_db(transaction=True)
def test_with_ports_worker_i_serves_port_plus_i(tmp_path):
    port = free_port()
    while _in_use(port + 1):
        port = free_port()
    with serving("--workers", "2", "--listen", "ports", port=port, log=tmp_path / "log"):
        wait_until(lambda: healthz(port + 1) == 200, seconds=STARTUP_SECONDS, what="port + 1")


def _in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@requires_services
@pytest.mark.django_db(transaction=True)
def test_a_second_launcher_on_a_port_in_use_is_refused(two_workers, tmp_path):
    _parent, port, _log = two_workers
    log = tmp_path / "second.log"
    second = launch("--workers", "2", "--port", str(port), env=serve_environment(), log=log)
    try:
        assert second.wait(timeout=30) == 2
    finally:
        if second.poll() is None:
            second.kill()
    assert "cannot listen" in log.read_text()


def test_a_malformed_redis_url_stops_the_launcher_with_the_reason(tmp_path):
    env = {**os.environ, "REDIS_URL": "redis+sentinel://s1:26379"}
    log = tmp_path / "serve.log"
    parent = launch("--workers", "2", "--port", str(free_port()), env=env, log=log)
    try:
        assert parent.wait(timeout=30) == 2
    finally:
        if parent.poll() is None:
            parent.kill()
    assert "needs the master's name" in log.read_text()
