import uuid

import pytest
from django.db import connection

from accounts.models import User
from tests.factories import AdminFactory, ExpertFactory, UserFactory
from tests.helpers.api import client_for
from tests.helpers.openapi import SchemaCheckedClient as APIClient


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The consumer's worker threads keep their database connections open (CONN_MAX_AGE), as
    in production; end them before the test database is dropped."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# How long a test's teardown waits for the consumer's ORM calls still under way.
ORM_CALLS_SETTLE_SECONDS = 10


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Before any fixture is torn down (the database emptied above all), let the ORM calls of
    the test's sockets that are still running finish: a socket closed at the end of a test
    records its disconnect in a worker thread, and that write racing the flush deadlocks."""
    from chat.async_db import wait_for_calls_under_way

    wait_for_calls_under_way(ORM_CALLS_SETTLE_SECONDS)
    return (yield)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_worker_in_the_test_process(settings):
    """The ASGI application starts the worker's threads with its first request; in the test
    process they would reach the database behind the tests' backs. Tests run the worker's jobs
    themselves, or in the server processes they start (which run it as configured)."""
    settings.WORKER_IN_SERVER = False


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Throttling counters live in the cache; each test gets an empty one of its own. (Clearing
    a Redis cache would flush the whole database, channel layer included.)"""
    cache = dict(settings.CACHES["default"])
    cache["KEY_PREFIX"] = f"{settings.REDIS_PREFIX}:test:{uuid.uuid4().hex}"
    cache.setdefault("LOCATION", cache["KEY_PREFIX"])
    settings.CACHES = {"default": cache}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads go to a directory of the test's own, never the repository's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db: None) -> User:
    return UserFactory.create()


@pytest.fixture
def expert(db: None) -> User:
    return ExpertFactory.create()


@pytest.fixture
def admin_user(db: None) -> User:
    return AdminFactory.create()


@pytest.fixture
def user_client(user: User) -> APIClient:
    return client_for(user)


@pytest.fixture
def expert_client(expert: User) -> APIClient:
    return client_for(expert)


@pytest.fixture
def admin_client(admin_user: User) -> APIClient:
    return client_for(admin_user)
