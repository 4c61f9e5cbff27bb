"""A chat message is stored in one autocommitted statement while nothing else has to be written
with it, and in a transaction with the webhook outbox and the offline-email schedule when
something does; an endpoint added between two messages is never missed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services
from chat.models import Message
from chat.services import message_store
from integrations.models import WebhookDelivery, WebhookEndpoint
from notifications.models import OfflineNotice
from tests.factories import ActiveRequestFactory
from tests.helpers.markers import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _store_alone_not_paused(monkeypatch):
    monkeypatch.setattr(services, "_store_alone_paused_until", 0.0)


def send(request, text: str) -> tuple[Message, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        message, created = message_store(
            request_id=request.pk, sender=request.requester, content=text
        )
    assert created
    return message, [query["sql"] for query in queries.captured_queries]


def test_with_nothing_else_to_write_a_message_is_one_statement():
    request = ActiveRequestFactory.create()
    WebhookEndpoint.objects.create(url="https://example.com/h", events=["request.created"])

    message, statements = send(request, "hello")

    assert len(statements) == 1
    assert statements[0].startswith("WITH next AS (UPDATE")
    assert message.seq == 1
    assert Message.objects.get(pk=message.pk).content == "hello"
    assert not WebhookDelivery.objects.exists()


def test_an_endpoint_added_between_two_messages_records_the_second_without_a_gap():
    request = ActiveRequestFactory.create()
    send(request, "before")
    endpoint = WebhookEndpoint.objects.create(
        url="https://example.com/h", events=["message.created"]
    )

    message, statements = send(request, "after")

    # The single statement stored nothing (an endpoint wants messages): the transaction did.
    assert statements[0].startswith("WITH next AS (UPDATE")
    assert len(statements) > 1
    assert message.seq == 2
    assert list(Message.objects.filter(request=request).values_list("seq", flat=True)) == [1, 2]
    delivery = WebhookDelivery.objects.select_related("event").get()
    assert delivery.endpoint == endpoint
    assert delivery.event.data["seq"] == 2
    assert delivery.event.data["content"] == "after"

    # Then the process goes to the transaction first for a while, and records every message.
    _, statements = send(request, "again")
    assert not statements[0].startswith("WITH next AS (UPDATE")
    assert WebhookDelivery.objects.count() == 2


def test_an_inactive_endpoint_leaves_the_single_statement():
    request = ActiveRequestFactory.create()
    WebhookEndpoint.objects.create(
        url="https://example.com/h", events=["message.created"], is_active=False
    )

    _, statements = send(request, "hello")

    assert len(statements) == 1
    assert not WebhookDelivery.objects.exists()


def test_with_email_on_the_offline_look_is_scheduled_with_the_message(settings):
    settings.EMAIL_ENABLED = True
    request = ActiveRequestFactory.create()

    message, statements = send(request, "hello")

    assert len(statements) > 1
    notice = OfflineNotice.objects.get(request=request)
    assert notice.user_id == request.expert_id
    assert notice.last_message_seq == message.seq == 1
