"""Fixtures that run real daphne processes for the end-to-end tests.

Servers are started per test: `django_db(transaction=True)` empties the database after each
test, and a server that outlived that would hold references to rows that no longer exist.
Two processes boot in parallel in about a second.
"""

from collections.abc import Callable, Iterator

import pytest

from tests.e2e.servers import DaphneServer, start_servers, stop_servers


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
        stop_servers(started)


@pytest.fixture
def two_servers(launch_servers) -> list[DaphneServer]:
    return launch_servers(2)


@pytest.fixture
def server(launch_servers) -> DaphneServer:
    return launch_servers(1)[0]
