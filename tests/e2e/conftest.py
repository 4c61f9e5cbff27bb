"""Fixtures that run real daphne processes for the end-to-end tests.

Most tests get processes of their own (two boot in parallel in about a second), so nothing a
test did to a process — or to the database, emptied after each test — leaks into the next.
Tests that only talk to a server and leave nothing behind share one per module.
"""

import time
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.faults.outcome import SUMMARIES
from tests.e2e.faults.services import (
    Services,
    ThrowawayPostgres,
    ThrowawayRedis,
    migrate,
    missing_binaries,
)
from tests.e2e.servers import DaphneServer, start_servers, stop_servers

# How long a server may take to finish the disconnects a test's last `close()` started.
DISCONNECTS_SETTLE_SECONDS = 3


@pytest.fixture
def launch_servers(transactional_db, tmp_path) -> Iterator[Callable[..., list[DaphneServer]]]:
    """`launch_servers(count, **env)` starts `count` daphne processes sharing the test database
    and Redis; all are stopped (by PID) when the test ends, before the database is emptied."""
    started: list[DaphneServer] = []

    def launch(count: int = 2, **env: str) -> list[DaphneServer]:
        servers = start_servers(count, tmp_path, first=len(started), **env)
        started.extend(servers)
        return servers

    try:
        yield launch
    finally:
        _wait_for_disconnects(started)
        stop_servers(started)


def _wait_for_disconnects(servers: list[DaphneServer]) -> None:
    """Let live servers finish recording the sockets the test closed before stopping them, so
    a test's stop never races its own disconnects (a stop *during* disconnects is tested on
    purpose in test_shutdown.py)."""
    from chat.models import SocketConnection

    alive = [server.pid for server in servers if server.process.poll() is None]
    deadline = time.monotonic() + DISCONNECTS_SETTLE_SECONDS
    while time.monotonic() < deadline:
        if not SocketConnection.objects.filter(process__pid__in=alive).exists():
            break
        time.sleep(0.05)
    # The rows go first; the presence broadcast follows them out of the transaction.
    time.sleep(0.2)


@pytest.fixture(scope="module")
def module_server(django_db_setup, tmp_path_factory) -> Iterator[DaphneServer]:
    """One process for a whole module (it needs the test database to exist, nothing more)."""
    servers = start_servers(1, tmp_path_factory.mktemp("daphne"))
    try:
        yield servers[0]
    finally:
        stop_servers(servers)


@pytest.fixture
def shared_server(module_server, transactional_db) -> Iterator[DaphneServer]:
    """The module's process, for one test. The server must have recorded the test's closed
    sockets before the database is emptied: emptying it while they are being recorded would
    deadlock the two."""
    yield module_server
    _wait_for_disconnects([module_server])


@pytest.fixture
def two_servers(launch_servers) -> list[DaphneServer]:
    return launch_servers(2)


@pytest.fixture
def server(launch_servers) -> DaphneServer:
    return launch_servers(1)[0]


@pytest.fixture(scope="session")
def throwaway_services() -> Iterator[Services]:
    """A PostgreSQL (migrated) and a Redis of the fault tests' own, on free ports, for the whole
    session: the tests stop, crash and restart them, which they must never do to the shared
    ones. Both are stopped by PID and their files removed at the end."""
    reason = missing_binaries()
    if reason is not None:
        pytest.skip(f"the fault-injection tests start their own PostgreSQL and Redis: {reason}")
    postgres = ThrowawayPostgres.create()
    redis = ThrowawayRedis.create()
    try:
        postgres.start()
        redis.start()
        postgres.create_database("expert_support_faults")
        database_url = postgres.url("expert_support_faults")
        migrate(database_url, redis.url)
        yield Services(postgres=postgres, redis=redis, database_url=database_url)
    finally:
        postgres.destroy()
        redis.destroy()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """What each fault-injection scenario measured (recovery time, reconnects...)."""
    summaries = config.stash.get(SUMMARIES, [])
    if summaries:
        terminalreporter.section("fault injection")
        for line in summaries:
            terminalreporter.write_line(line)
