import pytest
from channels.db import database_sync_to_async
from django.db import connections

from accounts.models import User
from config.asgi import hub
from support.models import SupportRequest
from tests.factories import ActiveRequestFactory


@pytest.fixture(autouse=True)
async def _close_connections_of_the_sync_thread(request: pytest.FixtureRequest):
    """The ORM calls of consumers run in asgiref's one sync thread, whose connection would
    otherwise stay open after the test (and keep the test database from being dropped). Tests
    that never touch the database (the protocol's) have nothing to close."""
    yield
    # The process's heartbeat runs from the first socket on; it must not outlive the test's
    # database.
    await hub.stopped()
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    ):
        await database_sync_to_async(connections.close_all)()


@pytest.fixture
def active_request(transactional_db: None) -> SupportRequest:
    return ActiveRequestFactory.create()


@pytest.fixture
def requester(active_request: SupportRequest) -> User:
    return active_request.requester


@pytest.fixture
def assigned_expert(active_request: SupportRequest) -> User:
    assert active_request.expert is not None
    return active_request.expert
