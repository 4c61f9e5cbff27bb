"""Liveness and readiness are separate probes."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "head"])
def test_liveness_answers_whatever_the_dependencies(method):
    assert getattr(Client(), method)("/healthz/live").status_code == 200


def test_readiness_reports_each_dependency():
    body = Client().get("/healthz").json()

    assert body == {
        "status": "ok",
        "database": "ok",
        "channel_layer": "ok",
        # How long the oldest due item of each worker job has waited (nothing is due here).
        "worker": {
            "oldest_due_seconds": None,
            "jobs": {"webhooks": None, "timeouts": None, "offline_emails": None},
        },
    }


def test_readiness_fails_while_the_process_shuts_down_but_liveness_does_not():
    from config import lifecycle

    lifecycle.draining.set()
    try:
        assert Client().get("/healthz").status_code == 503
        assert Client().get("/healthz/live").status_code == 200
    finally:
        lifecycle.draining.clear()


def test_readiness_fails_while_one_redis_server_of_several_does_not_answer(settings):
    from config import health
    from config.redis_url import redis_servers
    from tests.e2e.servers import free_port

    silent = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_SERVERS = redis_servers(f"{settings.REDIS_URL or silent},{silent}")
    health._shard_clients.cache_clear()
    try:
        answer = Client().get("/healthz")
    finally:
        health._shard_clients.cache_clear()

    assert answer.status_code == 503
    assert answer.json()["channel_layer"] == "failing"
