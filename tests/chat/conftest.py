import pytest
from channels.db import database_sync_to_async
from django.db import connections

from tests.factories import ActiveRequestFactory


@pytest.fixture(autouse=True)
async def _close_connections_of_the_sync_thread():
    """The ORM calls of consumers run in asgiref's one sync thread, whose connection would
    otherwise stay open after the test (and keep the test database from being dropped)."""
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def active_request(transactional_db):
    return ActiveRequestFactory()


@pytest.fixture
def requester(active_request):
    return active_request.requester


@pytest.fixture
def assigned_expert(active_request):
    return active_request.expert
