"""The outbox: each event an endpoint asked for is recorded in the transaction of the change it
reports, one delivery per endpoint; nothing for a change that was rolled back."""

import pytest
from django.db import transaction

from chat.services import message_post
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from reviews.services import review_create
from support.services import request_accept, request_close, request_create
from tests.factories import UserFactory
from tests.helpers.requests import online_expert

pytestmark = pytest.mark.django_db

ALL = ["request.created", "request.updated", "message.created", "review.created"]


def endpoint(events=ALL, **fields) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url="https://example.com/hooks", events=events, **fields)


def recorded() -> list[tuple[str, str]]:
    return [
        (delivery.event.event, delivery.ordering_key)
        for delivery in WebhookDelivery.objects.select_related("event").order_by("pk")
    ]


def a_request_from_start_to_review():
    customer = UserFactory.create()
    expert = online_expert()
    expert.expert_profile.is_available = False
    expert.expert_profile.save()
    request = request_create(requester=customer, title="Printer on fire")
    request = request_accept(request_id=request.pk, expert=expert)
    message_post(request_id=request.pk, sender=customer, content="Smoke!")
    message_post(request_id=request.pk, sender=expert, content="Unplug it.")
    request_close(request_id=request.pk, actor=expert)
    review_create(request_id=request.pk, reviewer=customer, rating=5)
    return request


def test_every_change_is_recorded_in_order_with_what_was_true_then():
    endpoint()
    request = a_request_from_start_to_review()

    key = str(request.pk)
    assert recorded() == [
        ("request.created", key),
        ("request.updated", key),
        ("message.created", key),
        ("message.created", key),
        ("request.updated", key),
        ("review.created", key),
    ]
    events = list(WebhookEvent.objects.order_by("created_at"))
    assert [event.data.get("status") for event in events[:2]] == ["REQUESTED", "ACTIVE"]
    assert events[2].data["content"] == "Smoke!"
    assert events[2].data["seq"] == 1
    assert events[4].data["status"] == "CLOSED"
    assert events[5].data["rating"] == 5
    assert events[5].data["request_id"] == key


def test_each_endpoint_gets_only_the_events_it_asked_for():
    messages_only = endpoint(events=["message.created"])
    endpoint(events=["review.created"], is_active=False)

    a_request_from_start_to_review()

    assert set(WebhookDelivery.objects.values_list("endpoint", flat=True)) == {messages_only.pk}
    assert WebhookDelivery.objects.count() == 2


def test_nothing_is_recorded_without_endpoints():
    a_request_from_start_to_review()
    assert not WebhookEvent.objects.exists()


def test_a_change_that_is_rolled_back_is_never_announced():
    endpoint()
    customer = UserFactory.create()

    def change_that_fails_after_the_request_is_created() -> None:
        with transaction.atomic():
            request_create(requester=customer, title="Printer on fire")
            raise RuntimeError("the rest of the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails_after_the_request_is_created()

    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_a_refused_message_is_not_announced():
    endpoint()
    request = request_create(requester=UserFactory.create(), title="Waiting")  # not ACTIVE
    before = WebhookDelivery.objects.count()

    with pytest.raises(Exception, match="not active"):
        message_post(request_id=request.pk, sender=request.requester, content="Hello?")

    assert WebhookDelivery.objects.count() == before
