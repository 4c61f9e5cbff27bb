from rest_framework import serializers

from integrations.models import WebhookEndpoint, WebhookEventName


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    """A webhook endpoint. `secret` is write-only: it signs every delivery, and is shown once,
    in the answer that creates the endpoint (generated when not given)."""

    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventName.choices),
        allow_empty=False,
        max_length=len(WebhookEventName.values),
    )
    secret = serializers.CharField(
        write_only=True, required=False, min_length=16, max_length=200, trim_whitespace=False
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "secret", "is_active", "created_at"]
        read_only_fields = ["id", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The endpoint as created: with its secret, this one time."""

    secret = serializers.CharField(read_only=True)
