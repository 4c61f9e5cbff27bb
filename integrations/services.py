"""Webhook endpoints, as staff manage them (REST and Django admin), and redelivery."""

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction

from core import worker
from core.errors import InvalidInput
from integrations.addresses import AddressRefused, resolve
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEventName, new_secret


def endpoint_url_check(url: str) -> str:
    """The URL if a webhook may go there now; InvalidInput (on `url`) otherwise."""
    try:
        resolve(url)
    except AddressRefused as exc:
        raise InvalidInput(fields={"url": [str(exc)]}) from None
    return url


def endpoint_events_check(events: Iterable[str]) -> list[str]:
    events = list(events)
    unknown = [name for name in events if name not in WebhookEventName.values]
    if unknown:
        known = ", ".join(WebhookEventName.values)
        raise InvalidInput(
            fields={"events": [f"Unknown event {unknown[0]!r}; events are {known}."]}
        )
    if not events:
        raise InvalidInput(fields={"events": ["Name at least one event."]})
    return list(dict.fromkeys(events))


@transaction.atomic
def endpoint_create(
    *, url: str, events: list[str], secret: str | None = None, is_active: bool = True
) -> WebhookEndpoint:
    """A new endpoint; without a `secret`, one is generated (the caller shows it once)."""
    return WebhookEndpoint.objects.create(
        url=endpoint_url_check(url),
        events=endpoint_events_check(events),
        secret=secret or new_secret(),
        is_active=is_active,
    )


@transaction.atomic
def endpoint_update(*, endpoint_id: UUID, **changes: object) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if "url" in changes:
        endpoint.url = endpoint_url_check(str(changes["url"]))
    if "events" in changes:
        endpoint.events = endpoint_events_check(changes["events"])  # type: ignore[arg-type]
    if changes.get("secret"):
        endpoint.secret = str(changes["secret"])
    if "is_active" in changes:
        endpoint.is_active = bool(changes["is_active"])
    endpoint.save()
    if endpoint.is_active:
        transaction.on_commit(lambda: worker.wake("webhooks"))
    return endpoint


@transaction.atomic
def deliveries_redeliver(*, delivery_ids: Iterable[int]) -> int:
    """Send these deliveries' events again, as new deliveries (tried at once, in order after
    what is pending for the same endpoint and request). Returns how many were queued."""
    originals = WebhookDelivery.objects.filter(pk__in=list(delivery_ids)).order_by("pk")
    copies = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint_id=original.endpoint_id,
            event_id=original.event_id,
            ordering_key=original.ordering_key,
        )
        for original in originals
    )
    if copies:
        transaction.on_commit(lambda: worker.wake("webhooks"))
    return len(copies)
