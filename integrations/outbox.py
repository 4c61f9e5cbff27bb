"""The outbox: every event a webhook endpoint asked for is written in the same transaction as
the change it reports, one delivery row per endpoint. Nothing is announced that was rolled back,
and nothing committed goes unannounced, whatever happens to a process after the commit: the
worker (integrations.delivery) sends what the rows say."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from chat.events import MessageStored
from chat.serializers import message_data
from core import worker
from core.events import subscribe
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookEventName
from reviews.events import ReviewCreated
from reviews.serializers import ReviewSerializer
from support.events import RequestChanged, RequestCreated
from support.serializers import SupportRequestSerializer


def subscribe_all() -> None:
    subscribe(RequestCreated, _request_created, in_transaction=True)
    subscribe(RequestChanged, _request_updated, in_transaction=True)
    subscribe(
        MessageStored,
        _message_created,
        in_transaction=True,
        idle_when=lambda: _no_endpoint_wants(WebhookEventName.MESSAGE_CREATED),
    )
    subscribe(ReviewCreated, _review_created, in_transaction=True)


def _no_endpoint_wants(event: str) -> tuple[str, list[Any]]:
    """SQL true when no active endpoint asked for `event` (what `webhook_event_record` checks).
    PostgreSQL: `events` is a jsonb list of names."""
    sql = (
        f"NOT EXISTS (SELECT 1 FROM {WebhookEndpoint._meta.db_table} "
        "WHERE is_active AND events @> %s::jsonb)"
    )
    return sql, [json.dumps([event])]


def _request_created(event: RequestCreated) -> None:
    request = event.request
    webhook_event_record(
        event=WebhookEventName.REQUEST_CREATED,
        ordering_key=str(request.pk),
        data=lambda: SupportRequestSerializer(request).data,
    )


def _request_updated(event: RequestChanged) -> None:
    if event.created:
        return  # request.created says it
    request = event.request
    webhook_event_record(
        event=WebhookEventName.REQUEST_UPDATED,
        ordering_key=str(request.pk),
        data=lambda: SupportRequestSerializer(request).data,
    )


def _message_created(event: MessageStored) -> None:
    message = event.message
    webhook_event_record(
        event=WebhookEventName.MESSAGE_CREATED,
        ordering_key=str(message.request_id),
        data=lambda: message_data(message),
    )


def _review_created(event: ReviewCreated) -> None:
    review = event.review
    webhook_event_record(
        event=WebhookEventName.REVIEW_CREATED,
        ordering_key=str(review.request_id),
        data=lambda: ReviewSerializer(review).data,
    )


def webhook_event_record(*, event: str, ordering_key: str, data: Any) -> WebhookEvent | None:
    """Record `event` for every active endpoint that asked for it, in the caller's transaction.
    `data` (a callable) is only worked out when some endpoint wants the event."""
    endpoints = [
        pk
        for pk, events in WebhookEndpoint.objects.filter(is_active=True).values_list("pk", "events")
        if event in events
    ]
    if not endpoints:
        return None
    # The payload as JSON types now, so what is sent is what was true at the change.
    payload = DjangoJSONEncoder().encode(data())
    with transaction.atomic():
        recorded = WebhookEvent.objects.create(event=event, data=json.loads(payload))
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint_id=pk, event=recorded, ordering_key=ordering_key)
            for pk in endpoints
        )
        transaction.on_commit(lambda: worker.wake("webhooks"))
    return recorded
