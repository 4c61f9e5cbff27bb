import secrets
import uuid

from django.db import models
from django.utils import timezone

from core.leases import JobStatus, LeasedJob


class WebhookEventName(models.TextChoices):
    REQUEST_CREATED = "request.created"
    REQUEST_UPDATED = "request.updated"
    MESSAGE_CREATED = "message.created"
    REVIEW_CREATED = "review.created"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """Where events are POSTed, signed with `secret`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=2000)
    # A list of WebhookEventName values (a JSON list, checked by the serializer and the form).
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=200, default=new_secret)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One thing that happened, written in the same transaction as the change it reports (the
    outbox): committed together, or rolled back together."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=40, choices=WebhookEventName.choices)
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.event} {self.id}"


class WebhookDelivery(LeasedJob):
    """One event for one endpoint: POSTed by the worker until the receiver answers 2xx, or
    every retry is used up. Deliveries with the same endpoint and `ordering_key` (the request)
    go out one at a time, oldest first."""

    # The X-Expert-Support-Delivery header: the same on every try of this delivery.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    ordering_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["run_after", "id"],
                condition=models.Q(status=JobStatus.PENDING),
                name="webhook_delivery_due",
            ),
            models.Index(
                fields=["endpoint", "ordering_key", "id"],
                condition=models.Q(status=JobStatus.PENDING),
                name="webhook_delivery_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.event} to {self.endpoint.url}"
