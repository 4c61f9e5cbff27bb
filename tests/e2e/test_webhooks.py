"""Webhooks end to end: server processes that each run the worker deliver every event once to a
real receiver, and a worker killed mid-delivery leaves it to another once its lease runs out."""

import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.outbox import webhook_event_record
from support.models import SupportRequest
from tests.e2e.client import http_json
from tests.e2e.scenario import access_token
from tests.e2e.servers import REPO_ROOT, server_environment
from tests.factories import AdminFactory, UserFactory
from tests.helpers.receiver import webhook_receiver

WEBHOOK_ENV = {"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_RETRY_DELAYS": "0.2,0.2,0.2,0.2"}


def test_two_server_processes_deliver_each_event_exactly_once(launch_servers):
    servers = launch_servers(2, **WEBHOOK_ENV)
    staff, customers = AdminFactory.create(), UserFactory.create_batch(4)
    with webhook_receiver() as receiver:
        # Some failures first: retries must not turn into duplicates either.
        receiver.script = [500, 502, 503]
        created = http_json(
            servers[0],
            "/api/admin/webhooks/",
            token=access_token(staff),
            body={"url": receiver.url, "events": ["request.created"]},
        )
        assert len(created["secret"]) >= 32
        for n in range(20):
            customer = customers[n % 4]
            http_json(
                servers[n % 2],
                "/api/requests/",
                token=access_token(customer),
                body={"title": f"Request {n}"},
            )

        hits = receiver.wait_for(23, timeout=30)
        time.sleep(1)  # anything extra would come now

    answered = Counter(hit.json["id"] for hit in receiver.received if hit.status == 200)
    assert len(answered) == 20
    assert set(answered.values()) == {1}
    titles = {hit.json["data"]["title"] for hit in hits}
    assert titles == {f"Request {n}" for n in range(20)}
    assert SupportRequest.objects.count() == 20
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"DONE"}


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_leaves_it_to_the_next_one(tmp_path):
    with webhook_receiver() as receiver:
        WebhookEndpoint.objects.create(url=receiver.url, events=["request.created"])
        # The first try hangs until the worker is gone; the next one is answered.
        receiver.script = [("slow", 20, 200)]
        request = SupportRequest.objects.create(requester=UserFactory.create(), title="Slow")
        webhook_event_record(
            event="request.created", ordering_key=str(request.pk), data=lambda: {"n": 1}
        )
        # The lease: 3 times WEBHOOK_TIMEOUT, plus 10 s.
        env = server_environment(WEBHOOK_TIMEOUT="1", **WEBHOOK_ENV)
        command = [sys.executable, "manage.py", "run_worker"]

        def run_worker(name: str) -> subprocess.Popen:
            with (tmp_path / f"{name}.log").open("wb") as log:
                return subprocess.Popen(
                    command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )

        first = run_worker("first")
        try:
            receiver.wait_for(1, timeout=20)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("PENDING", 1)

        second = run_worker("second")
        try:
            started = time.monotonic()
            receiver.wait_for(2, timeout=30)
            waited = time.monotonic() - started
            deadline = time.monotonic() + 10
            while WebhookDelivery.objects.get().status != "DONE":
                assert time.monotonic() < deadline
                time.sleep(0.1)
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(timeout=15)
            except subprocess.TimeoutExpired:
                second.kill()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("DONE", 2, 200)
    first_try, second_try = receiver.received
    assert (
        first_try.headers["X-Expert-Support-Delivery"]
        == second_try.headers["X-Expert-Support-Delivery"]
    )
    assert waited < 20  # the lease ran out, not some longer timer
    assert second.returncode == 0
