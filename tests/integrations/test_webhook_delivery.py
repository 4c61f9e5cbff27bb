"""Webhook deliveries against a real HTTP receiver on a loopback port: signed, retried with
backoff, given up on, in order per request, once each however many workers run, and taken over
when a worker's lease runs out."""

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.utils import timezone

from core.leases import JobStatus, claim, finish
from integrations.delivery import _claimable, deliveries_backlog, deliveries_send
from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.outbox import webhook_event_record
from integrations.services import deliveries_redeliver
from tests.helpers.concurrency import returned, run_at_once
from tests.helpers.receiver import webhook_receiver

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "a-receivers-secret-0123456789"


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT = 0.5
    settings.WEBHOOK_RETRY_DELAYS = (0, 0, 0)


@pytest.fixture
def receiver():
    with webhook_receiver() as receiver:
        yield receiver


def endpoint_for(receiver, **fields) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        url=receiver.url, events=["message.created"], secret=SECRET, **fields
    )


def event(key: str = "request-1", n: int = 1) -> None:
    webhook_event_record(event="message.created", ordering_key=key, data=lambda: {"n": n})


def send_until_idle(rounds: int = 20) -> None:
    for _ in range(rounds):
        if not deliveries_send():
            return


def test_a_delivery_is_signed_and_says_what_happened(receiver):
    endpoint_for(receiver)
    event(n=7)

    assert deliveries_send() == 1

    (hit,) = receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), hit.body, hashlib.sha256).hexdigest()
    assert hit.headers["X-Expert-Support-Signature"] == expected
    assert hit.headers["X-Expert-Support-Event"] == "message.created"
    assert hit.headers["Content-Type"] == "application/json"
    delivery = WebhookDelivery.objects.get()
    assert hit.headers["X-Expert-Support-Delivery"] == str(delivery.delivery_id)
    assert hit.json["event"] == "message.created"
    assert hit.json["data"] == {"n": 7}
    assert hit.json["id"] == str(delivery.event_id)
    assert hit.json["created_at"].endswith("Z")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("DONE", 1, 200)


def test_failures_and_a_receiver_too_slow_are_retried_until_it_answers(receiver):
    endpoint_for(receiver)
    receiver.script = [500, 503, ("slow", 1.5, 200), 204]
    event()

    send_until_idle()

    hits = receiver.wait_for(4)
    assert len({hit.headers["X-Expert-Support-Delivery"] for hit in hits}) == 1
    assert len({hit.body for hit in hits}) == 1  # the same event, byte for byte
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("DONE", 4, 204)


def test_a_failure_waits_for_the_next_delay(receiver, settings):
    settings.WEBHOOK_RETRY_DELAYS = (60, 600)
    endpoint_for(receiver)
    receiver.script = [500]
    event()

    before = timezone.now()
    assert deliveries_send() == 1
    assert deliveries_send() == 0  # not due yet

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == JobStatus.PENDING
    assert delivery.last_error == "The receiver answered 500."
    assert before + timedelta(seconds=59) < delivery.run_after < before + timedelta(seconds=62)
    assert deliveries_backlog() is None  # waiting for its time is not a backlog


def test_a_delivery_is_given_up_after_the_last_retry(receiver):
    endpoint_for(receiver)
    receiver.script = [500, 500, 500, 500, 200]
    event()

    send_until_idle()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (JobStatus.FAILED, 4)
    assert len(receiver.received) == 4


def test_a_requests_events_arrive_in_order_even_when_the_first_needs_a_retry(receiver):
    endpoint_for(receiver)
    receiver.script = [500]
    for n in (1, 2, 3):
        event(key="request-1", n=n)
    event(key="request-2", n=10)

    send_until_idle()

    numbers = [hit.json["data"]["n"] for hit in receiver.wait_for(5)]
    request_1 = [n for n in numbers if n < 10]
    assert request_1 == [1, 1, 2, 3]  # the first try of 1 failed, and 2 waited for it
    assert 10 in numbers


def test_an_address_no_longer_allowed_is_refused_at_delivery_time(receiver, settings):
    endpoint_for(receiver)
    event()
    settings.WEBHOOK_ALLOW_PRIVATE = False

    deliveries_send()

    delivery = WebhookDelivery.objects.get()
    assert "loopback, private" in delivery.last_error
    assert receiver.received == []


def test_a_paused_endpoint_keeps_its_deliveries_for_later_and_records_no_new_ones(receiver):
    endpoint = endpoint_for(receiver)
    event(n=1)
    endpoint.is_active = False
    endpoint.save()
    event(n=2)

    assert deliveries_send() == 0
    endpoint.is_active = True
    endpoint.save()
    assert deliveries_send() == 1
    assert [hit.json["data"]["n"] for hit in receiver.received] == [1]


def test_two_workers_at_once_deliver_each_event_once(receiver):
    endpoint_for(receiver)
    for n in range(30):
        event(key=f"request-{n}", n=n)

    def worker() -> int:
        total = 0
        while handled := deliveries_send():
            total += handled
        return total

    handled = returned(run_at_once([worker, worker, worker]))

    assert sum(handled) == 30
    numbers = sorted(hit.json["data"]["n"] for hit in receiver.received)
    assert numbers == list(range(30))
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {JobStatus.DONE}


def test_a_worker_that_died_mid_delivery_leaves_it_to_another_once_its_lease_runs_out(receiver):
    endpoint_for(receiver)
    event()
    # A worker claims the delivery and dies before finishing it.
    dead_lease, (pk,) = claim(_claimable(), limit=10, lease_seconds=60)

    assert deliveries_send() == 0  # its lease still holds
    WebhookDelivery.objects.filter(pk=pk).update(lease_expires_at=timezone.now())
    assert deliveries_send() == 1

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (JobStatus.DONE, 2)
    # Had the first worker come back, its outcome would be written nowhere.
    assert finish(WebhookDelivery, pk, dead_lease) is False
    assert len(receiver.received) == 1


def test_redelivery_sends_the_same_event_again_as_a_new_delivery(receiver):
    endpoint_for(receiver)
    event(n=5)
    send_until_idle()

    assert (
        deliveries_redeliver(delivery_ids=WebhookDelivery.objects.values_list("pk", flat=True)) == 1
    )
    send_until_idle()

    first, second = receiver.wait_for(2)
    assert first.json == second.json
    assert first.headers["X-Expert-Support-Delivery"] != second.headers["X-Expert-Support-Delivery"]


def test_the_backlog_is_the_age_of_the_oldest_due_delivery(receiver):
    endpoint_for(receiver)
    event()
    WebhookDelivery.objects.update(run_after=timezone.now() - timedelta(seconds=90))

    assert 89 < (deliveries_backlog() or 0) < 100
