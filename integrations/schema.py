"""The webhooks in the OpenAPI schema (its `webhooks` section): what each event POSTs to a
receiver and what the receiver answers. Named in SPECTACULAR_SETTINGS["WEBHOOKS"]."""

from drf_spectacular.utils import (
    OpenApiResponse,
    OpenApiWebhook,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers

from chat.serializers import MessageSerializer
from integrations.models import WebhookEventName
from reviews.serializers import ReviewSerializer
from support.serializers import SupportRequestSerializer

_HEADERS = (
    "Headers: `X-Expert-Support-Event` (the event), `X-Expert-Support-Delivery` (this delivery's "
    "id, the same on every retry) and `X-Expert-Support-Signature` (`sha256=` and the hex "
    "HMAC-SHA256 of the raw body with the endpoint's secret). Answer 2xx within WEBHOOK_TIMEOUT "
    "seconds; anything else is retried (docs/webhooks.md)."
)


@extend_schema_serializer(component_name="RequestState")
class RequestStateSerializer(SupportRequestSerializer):
    """The request as it stood after the change (the REST object without `unread_count`, which
    depends on who asks)."""


def _envelope(event: str, data: serializers.BaseSerializer) -> type[serializers.Serializer]:
    name = "".join(part.title() for part in event.split(".")) + "Webhook"
    fields = {
        "id": serializers.UUIDField(help_text="The event's id: ignore a repeat of it."),
        "event": serializers.ChoiceField(choices=[event]),
        "created_at": serializers.DateTimeField(),
        "data": data,
    }
    return type(name, (serializers.Serializer,), fields)


def _webhook(event: str, data: serializers.BaseSerializer, summary: str) -> OpenApiWebhook:
    event = str(event)  # the name, not the enum member: the schema is plain JSON and YAML
    return OpenApiWebhook(
        name=event,
        decorator=extend_schema(
            summary=summary,
            description=_HEADERS,
            request=_envelope(event, data),
            responses={
                200: OpenApiResponse(description="Received (any 2xx will do)."),
            },
        ),
    )


WEBHOOKS = [
    _webhook(
        WebhookEventName.REQUEST_CREATED,
        RequestStateSerializer(),
        "A customer opened a request",
    ),
    _webhook(
        WebhookEventName.REQUEST_UPDATED,
        RequestStateSerializer(),
        "A request's status or expert changed",
    ),
    _webhook(WebhookEventName.MESSAGE_CREATED, MessageSerializer(), "A chat message was stored"),
    _webhook(WebhookEventName.REVIEW_CREATED, ReviewSerializer(), "A customer reviewed an expert"),
]
