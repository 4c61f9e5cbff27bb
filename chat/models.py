from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Message(models.Model):
    request = models.ForeignKey(
        "support.SupportRequest", on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages"
    )
    # 1, 2, 3... within the request, with no gaps (assigned from SupportRequest.last_seq).
    seq = models.PositiveIntegerField()
    content = models.TextField(max_length=4000)
    # Chosen by the client to make a send idempotent: a repeat returns the original message.
    # NULL (not "") when absent, so the partial unique constraint below ignores it.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
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
