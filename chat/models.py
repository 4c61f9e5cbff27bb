import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# The longest message, in characters after trimming (SPEC: 1-4000), and the longest client_id.
MESSAGE_MAX_CHARS = 4000
CLIENT_ID_MAX_CHARS = 64


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

    def __str__(self) -> str:
        return f"#{self.seq} in {self.request_id}"


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
