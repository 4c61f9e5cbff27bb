"""Chat message representations: one shape for the REST API and the WebSocket."""

from typing import Any
from uuid import UUID

from django.urls import reverse
from rest_framework import serializers

from chat.models import (
    CLIENT_ID_MAX_CHARS,
    MESSAGE_ATTACHMENTS_MAX,
    MESSAGE_MAX_CHARS,
    Attachment,
    Message,
)
from chat.protocol.server import AttachmentData, MessageData


def attachment_url(attachment: Attachment) -> str:
    """The path of the attachment's access-checked download."""
    return reverse("attachment-download", kwargs={"attachment_id": attachment.pk})


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    url = serializers.SerializerMethodField(
        help_text="Path of the download: participants and staff, with the bearer token."
    )

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "url"]

    def get_url(self, attachment: Attachment) -> str:
        return attachment_url(attachment)


class UploadedAttachmentSerializer(AttachmentSerializer):
    class Meta(AttachmentSerializer.Meta):
        fields = [*AttachmentSerializer.Meta.fields, "created_at"]


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The file. Its type is detected from its bytes; its name is kept for display."
    )


def attachment_data(attachment: Attachment) -> AttachmentData:
    return AttachmentData(
        id=str(attachment.pk),
        name=attachment.name,
        size=attachment.size,
        content_type=attachment.content_type,
        url=attachment_url(attachment),
    )


class SenderSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    role = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer[Message]):
    request_id = serializers.UUIDField()
    sender = SenderSerializer()
    attachments = AttachmentSerializer(many=True, source="attachment_list", read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "request_id",
            "seq",
            "sender",
            "content",
            "client_id",
            "created_at",
            "attachments",
        ]


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
        attachments=[attachment_data(attachment) for attachment in message.attachment_list()],
    )


class MessageCreateSerializer(serializers.Serializer):
    content = serializers.CharField(
        max_length=MESSAGE_MAX_CHARS,
        trim_whitespace=True,
        required=False,
        allow_blank=True,
        help_text="1-4000 characters after trimming; may be empty or left out when "
        "attachment_ids carries files.",
    )
    client_id = serializers.CharField(
        max_length=CLIENT_ID_MAX_CHARS, required=False, allow_null=True
    )
    attachment_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=MESSAGE_ATTACHMENTS_MAX,
        help_text="Uploads of yours into this request (POST requests/{id}/attachments/) that "
        f"no message carries yet; at most {MESSAGE_ATTACHMENTS_MAX}, each once.",
    )

    def validate_attachment_ids(self, ids: list[UUID]) -> list[UUID]:
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("An attachment may be listed only once.")
        return ids

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Content is required, as it always was, unless attachments carry the message."""
        if not attrs.get("attachment_ids"):
            content = self.fields["content"]
            if "content" not in attrs:
                raise serializers.ValidationError({"content": [content.error_messages["required"]]})
            if not attrs["content"]:
                raise serializers.ValidationError({"content": [content.error_messages["blank"]]})
        attrs.setdefault("content", "")
        return attrs


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
