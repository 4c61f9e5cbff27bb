"""Chat message representations: one shape for the REST API and the WebSocket."""

from rest_framework import serializers

from chat.models import CLIENT_ID_MAX_CHARS, MESSAGE_MAX_CHARS, Message
from chat.protocol.server import MessageData


class SenderSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    role = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer[Message]):
    request_id = serializers.UUIDField()
    sender = SenderSerializer()

    class Meta:
        model = Message
        fields = ["id", "request_id", "seq", "sender", "content", "client_id", "created_at"]


_TIMESTAMP = serializers.DateTimeField()


def message_data(message: Message) -> MessageData:
    """MessageSerializer's output as a plain dict (strings and numbers only), safe to send
    through the channel layer. Built by hand: it runs for every message on the hot path, where
    a DRF serializer costs more than the database write."""
    sender = message.sender
    return MessageData(
        id=message.pk,
        request_id=str(message.request_id),
        seq=message.seq,
        sender={"id": str(sender.pk), "name": sender.name, "role": sender.role},
        content=message.content,
        client_id=message.client_id,
        created_at=_TIMESTAMP.to_representation(message.created_at),
    )


class MessageCreateSerializer(serializers.Serializer):
    content = serializers.CharField(max_length=MESSAGE_MAX_CHARS, trim_whitespace=True)
    client_id = serializers.CharField(
        max_length=CLIENT_ID_MAX_CHARS, required=False, allow_null=True
    )


class MessageHistoryQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, required=False)
    before = serializers.IntegerField(min_value=1, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=200, default=50)


class MessageHistorySerializer(serializers.Serializer):
    results = MessageSerializer(many=True)
    has_more = serializers.BooleanField()


class ReadMarkSerializer(serializers.Serializer):
    seq = serializers.IntegerField(
        min_value=0,
        help_text="The seq of the newest message read. The stored position only moves forward "
        "and never past the request's last_seq.",
    )


class ReadPositionSerializer(serializers.Serializer):
    request_id = serializers.UUIDField()
    seq = serializers.IntegerField(min_value=0, help_text="The caller's read position, as stored.")
