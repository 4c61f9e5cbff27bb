"""Skips for tests that need a real PostgreSQL or Redis (CI always has both)."""

import pytest
from django.conf import settings

requires_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): row locks and real concurrent transactions",
)
requires_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs Redis (set REDIS_URL) shared by several processes"
)
