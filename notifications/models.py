from django.conf import settings
from django.db import models
from django.utils import timezone

from core.leases import JobStatus, LeasedJob


class OfflineNotice(LeasedJob):
    """The offline emails of one participant of one request: one row per (request, user), made
    by the first message the other side sends them and looked at again by the worker (under a
    lease, core.leases) whenever `run_after` comes.

    status PENDING: a look is due at `run_after` (or one is being taken under a lease).
    status DONE: nothing to do until the other side sends another message.
    status FAILED: the SMTP server refused every try (NOTIFY_RETRY_DELAYS); the next message
    starts over.
    """

    request = models.ForeignKey(
        "support.SupportRequest", on_delete=models.CASCADE, related_name="offline_notices"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offline_notices"
    )
    # The newest message sent to the user that this row has heard of, written in each message's
    # own transaction. The worker only lets a row rest (DONE) if this is still the value it
    # decided on, so a message that arrives while it decides is never left without a look.
    last_message_seq = models.PositiveIntegerField(default=0)
    # The newest message the last email told of (0: none yet). No other email goes out until the
    # user has read at least this far: one email per streak of unread messages.
    notified_seq = models.PositiveIntegerField(default=0)
    emails_sent = models.PositiveIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], name="offline_notice_pair_unique"),
        ]
        indexes = [
            # The worker's claim: due rows only, a few among all the pairs that ever chatted.
            models.Index(
                fields=["run_after", "id"],
                condition=models.Q(status=JobStatus.PENDING),
                name="offline_notice_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Offline emails of {self.user_id} in {self.request_id}"
