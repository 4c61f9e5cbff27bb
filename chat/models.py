import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# The longest message, in characters after trimming (SPEC: 1-4000), and the longest client_id.
MESSAGE_MAX_CHARS = 4000
CLIENT_ID_MAX_CHARS = 64
# The most attachments one message may carry, and the longest display name of one.
MESSAGE_ATTACHMENTS_MAX = 5
ATTACHMENT_NAME_MAX_CHARS = 255


class Message(models.Model):
    request = models.ForeignKey(
        "support.SupportRequest", on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages"
    )
    # 1, 2, 3... within the request, with no gaps (assigned from SupportRequest.last_seq).
    seq = models.PositiveIntegerField()
    content = models.TextField(max_length=MESSAGE_MAX_CHARS)
    # Chosen by the client to make a send idempotent: a repeat returns the original message.
    # NULL (not "") when absent, so the partial unique constraint below ignores it.
    client_id = models.CharField(max_length=CLIENT_ID_MAX_CHARS, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["request", "seq"], name="message_request_seq_unique"),
            models.UniqueConstraint(
                fields=["request", "sender", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_client_id_unique",
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="message_seq_positive"),
        ]

    # The attachments of a message just stored, set by the service that stored it, so that
    # building its frame costs no query (lists prefetch them instead).
    _stored_attachments: "list[Attachment] | None" = None

    def __str__(self) -> str:
        return f"#{self.seq} in {self.request_id}"

    def attachment_list(self) -> "list[Attachment]":
        """Its attachments in upload order: as stored, or from prefetch_related("attachments")."""
        if self._stored_attachments is not None:
            return self._stored_attachments
        return list(self.attachments.all())

    def set_stored_attachments(self, attachments: "list[Attachment]") -> None:
        self._stored_attachments = attachments


class Attachment(models.Model):
    """A file uploaded into a request's chat. Unattached until a message of its uploader
    claims it (chat.services); uploads never claimed are deleted after a day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        "support.SupportRequest", on_delete=models.CASCADE, related_name="attachments"
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attachments"
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    # Where the bytes are in the attachments storage: a key the server made up
    # (attachments/<request>/<uuid>.<ext>), never anything the client sent.
    storage_key = models.CharField(max_length=255, unique=True)
    # The client's file name, cleaned up, for display and for the download's file name.
    name = models.CharField(max_length=ATTACHMENT_NAME_MAX_CHARS)
    size = models.PositiveBigIntegerField()
    # Detected from the bytes, never taken from the client.
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The clean-up's scan: old uploads that no message claimed.
            models.Index(
                fields=["created_at"],
                condition=Q(message__isnull=True),
                name="attachment_unattached_created",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=1), name="attachment_size_positive"),
            models.CheckConstraint(condition=~Q(name=""), name="attachment_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type}, {self.size} bytes)"


class ServerProcess(models.Model):
    """A running server process that holds sockets; it heart-beats while alive."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"


class SocketConnection(models.Model):
    """One open WebSocket. A user is online while they have at least one."""

    channel_name = models.CharField(max_length=200, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="socket_connections"
    )
    process = models.ForeignKey(ServerProcess, on_delete=models.CASCADE, related_name="sockets")
    connected_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id} on {self.process_id}"
