"""Chat message representations: one shape for the REST API and the WebSocket."""

from typing import Any

from rest_framework import serializers

from chat.models import Message
from chat.protocol import MAX_CLIENT_ID_CHARS, MAX_CONTENT_CHARS


class SenderSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    role = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer):
    request_id = serializers.UUIDField()
    sender = SenderSerializer()

    class Meta:
        model = Message
        fields = ["id", "request_id", "seq", "sender", "content", "client_id", "created_at"]


def message_data(message: Message) -> dict[str, Any]:
    """A plain dict (strings and numbers only), safe to send through the channel layer."""
    data = MessageSerializer(message).data
    return {**data, "sender": dict(data["sender"])}


class MessageCreateSerializer(serializers.Serializer):
    content = serializers.CharField(max_length=MAX_CONTENT_CHARS, trim_whitespace=True)
    client_id = serializers.CharField(
        max_length=MAX_CLIENT_ID_CHARS, required=False, allow_null=True
    )


class MessageHistoryQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, required=False)
    before = serializers.IntegerField(min_value=1, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=200, default=50)


class MessageHistorySerializer(serializers.Serializer):
    results = MessageSerializer(many=True)
    has_more = serializers.BooleanField()
