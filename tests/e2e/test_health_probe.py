"""Readiness probes come every few seconds for as long as a process lives: each must leave
nothing behind in the channel layer (no subscription per probe)."""

import urllib.request

import pytest
import redis
from django.conf import settings

from tests.helpers.markers import requires_services

pytestmark = [requires_services, pytest.mark.django_db(transaction=True)]

PROBES = 30


def probe_channels(client: redis.Redis) -> int:
    """The pub/sub channels of this test run's processes that no socket owns (none is open)."""
    return len(client.pubsub_channels(f"{settings.REDIS_PREFIX}:asgi*specific.*"))


def test_many_readiness_probes_hold_one_subscription(launch_servers):
    (server,) = launch_servers(1)
    client = redis.Redis.from_url(settings.REDIS_URL.split(",")[0])
    before = probe_channels(client)

    for _ in range(PROBES):
        with urllib.request.urlopen(f"{server.http_url}/healthz", timeout=10) as answer:
            assert answer.status == 200

    assert probe_channels(client) - before <= 1
