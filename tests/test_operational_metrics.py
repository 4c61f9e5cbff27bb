"""Each metric of the worker, webhooks, presence, HTTP and the dependencies moves when its event
happens."""

from datetime import timedelta

import pytest
from autobahn.websocket.types import ConnectionDeny
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from accounts.models import User
from chat.models import ServerProcess, SocketConnection
from chat.presence import PROCESS_ID, presence_sweep, process_heartbeat
from config import lifecycle
from config.daphne_server import WebSocketProtocol
from core.outages import Dependency
from core.worker import Job, run_once
from integrations.models import WebhookEndpoint
from integrations.outbox import webhook_event_record
from tests.helpers.metrics import Moves
from tests.helpers.receiver import webhook_receiver
from tests.integrations.test_webhook_delivery import send_until_idle


def test_worker_items_and_failed_runs_are_counted_by_job():
    items = Moves("expert_support_worker_items_total", worker_job="metrics-test")
    failures = Moves("expert_support_worker_failures_total", worker_job="metrics-test")

    def broken() -> int:
        raise RuntimeError("a bug")

    run_once(Job(name="metrics-test", run=lambda: 3, every=1))
    run_once(Job(name="metrics-test", run=lambda: 0, every=1))
    run_once(Job(name="metrics-test", run=broken, every=1))

    assert (items.by, failures.by) == (3, 1)


@pytest.mark.django_db(transaction=True)
def test_webhook_deliveries_are_counted_by_outcome(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT = 0.5
    settings.WEBHOOK_RETRY_DELAYS = (0, 0)
    delivered = Moves("expert_support_webhook_deliveries_total", outcome="delivered")
    retried = Moves("expert_support_webhook_deliveries_total", outcome="retry")
    failed = Moves("expert_support_webhook_deliveries_total", outcome="failed")

    with webhook_receiver() as receiver:
        WebhookEndpoint.objects.create(
            url=receiver.url, events=["message.created"], secret="s" * 24
        )
        receiver.script = [500, 204, 500, 500, 500]
        for key in ("r-1", "r-2"):
            webhook_event_record(event="message.created", ordering_key=key, data=dict)
            send_until_idle()

    # r-1: 500, then 204. r-2: 500, 500 (both retries used), then 500 for good.
    assert (delivered.by, retried.by, failed.by) == (1, 3, 1)


def test_a_sweep_of_a_dead_process_counts_itself_and_the_users_it_took_offline(
    transactional_db, user, settings
):
    settings.PRESENCE_TIMEOUT = 60
    sweeps = Moves("expert_support_presence_sweeps_total")
    offline = Moves("expert_support_presence_corrections_total", kind="offline")
    dead = ServerProcess.objects.create(
        hostname="gone", pid=1, heartbeat_at=timezone.now() - timedelta(seconds=61)
    )
    SocketConnection.objects.create(channel_name="specific.dead!1", user=user, process=dead)
    User.objects.filter(pk=user.pk).update(is_online=True)

    presence_sweep()
    presence_sweep()  # nothing left to sweep: not counted

    assert (sweeps.by, offline.by) == (1, 1)


@pytest.mark.django_db
def test_http_requests_are_counted_by_route_method_and_status(user_client):
    me = Moves("expert_support_http_requests_total", route="api/me/", method="GET", status="200")
    unauthenticated = Moves(
        "expert_support_http_requests_total", route="api/me/", method="GET", status="401"
    )
    timed = Moves("expert_support_http_request_seconds_count", route="api/me/")

    assert user_client.get("/api/me/").status_code == 200
    assert Client().get("/api/me/").status_code == 401

    assert (me.by, unauthenticated.by, timed.by) == (1, 1, 2)


@pytest.mark.django_db
def test_a_path_with_an_id_is_counted_under_its_route_not_its_path(user_client):
    route = "api/requests/<uuid:request_id>/"
    missing = Moves("expert_support_http_requests_total", route=route, method="GET", status="404")

    for pk in ("0e2c1c47-6c8f-4d0a-9a52-000000000001", "0e2c1c47-6c8f-4d0a-9a52-000000000002"):
        assert user_client.get(f"/api/requests/{pk}/").status_code == 404

    assert missing.by == 2


def test_a_dependency_is_down_from_its_first_failure_until_it_answers_again():
    dependency = Dependency("the metrics test's", metric_label="metrics_test")
    up = Moves("expert_support_dependency_up", dependency="metrics_test")
    assert up.before == 1

    dependency.failed(OperationalError("connection refused"))
    assert up.by == -1
    dependency.answered()
    assert up.by == 0


def test_sockets_recorded_again_after_this_process_was_swept_are_counted(transactional_db, user):
    restored = Moves("expert_support_presence_corrections_total", kind="restored")
    ServerProcess.objects.filter(pk=PROCESS_ID).delete()  # swept while it could not heart-beat

    process_heartbeat(sockets={"specific.here!1": str(user.pk)})

    assert restored.by == 1
    assert SocketConnection.objects.filter(channel_name="specific.here!1").exists()


def test_a_handshake_refused_while_draining_is_counted_as_draining():
    draining = Moves("expert_support_websocket_handshakes_refused_total", reason="draining")
    protocol = WebSocketProtocol.__new__(WebSocketProtocol)  # refused before it reads anything
    lifecycle.draining.set()
    try:
        with pytest.raises(ConnectionDeny):
            protocol.onConnect(None)
    finally:
        lifecycle.draining.clear()

    assert draining.by == 1
