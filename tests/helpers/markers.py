"""Skips for tests that need a real PostgreSQL or Redis. CI always has both; locally,
`make services` starts them (README, "Running every test")."""

import pytest
from django.conf import settings

_HOW = "(README: 'Running every test')"

HAS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
HAS_REDIS = bool(settings.REDIS_URL)

requires_postgres = pytest.mark.skipif(
    not HAS_POSTGRES,
    reason=f"real concurrent transactions and row locks need PostgreSQL: set DATABASE_URL {_HOW}",
)
requires_redis = pytest.mark.skipif(
    not HAS_REDIS, reason=f"sockets on several processes meet through Redis: set REDIS_URL {_HOW}"
)
requires_services = pytest.mark.skipif(
    not (HAS_POSTGRES and HAS_REDIS),
    reason="starts real server processes that share PostgreSQL and Redis: set DATABASE_URL and "
    f"REDIS_URL {_HOW}",
)
