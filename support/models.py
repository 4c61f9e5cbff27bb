import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Skill, User

# The most ACTIVE requests one expert may be given at once (their `max_active_requests`).
MAX_ACTIVE_REQUESTS_LIMIT = 50
# Longest texts, in characters.
BIO_MAX_CHARS = 2000
TITLE_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 5000


class ExpertProfile(models.Model):
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="expert_profile"
    )
    bio = models.TextField(blank=True, max_length=BIO_MAX_CHARS)
    skills = models.ManyToManyField(Skill, blank=True, related_name="experts")
    is_available = models.BooleanField(default=True)
    max_active_requests = models.PositiveSmallIntegerField(default=1)
    # rating_sum is the source of truth; rating_avg is derived from it in the same UPDATE so
    # concurrent reviews can never leave the two out of step.
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    # When this expert was last given a request: matching prefers whoever waited longest.
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_active_requests__gte=1), name="expert_capacity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(rating_avg__gte=0, rating_avg__lte=5),
                name="expert_rating_avg_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Expert profile of {self.user}"


class RequestStatus(models.TextChoices):
    REQUESTED = "REQUESTED", "Requested"
    ACTIVE = "ACTIVE", "Active"
    CLOSED = "CLOSED", "Closed"
    CANCELLED = "CANCELLED", "Cancelled"


class SupportRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_requests"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    title = models.CharField(max_length=TITLE_MAX_CHARS)
    description = models.TextField(max_length=DESCRIPTION_MAX_CHARS, blank=True)
    skill = models.ForeignKey(
        "accounts.Skill", on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.REQUESTED
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The first message anyone but the requester wrote (an expert's), and who wrote it: set by
    # the statement that stores that message, for the response-time figures (admin/stats/).
    first_response_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # The seq of the newest chat message; bumped in the same transaction as each insert.
    last_seq = models.PositiveIntegerField(default=0)
    # How far each participant has read: only moves forward, never past last_seq (chat.services
    # message_read; sending a message moves the sender's to its seq). The expert's starts again
    # at 0 when the request gets another expert.
    requester_read_seq = models.PositiveIntegerField(default=0, db_default=0)
    expert_read_seq = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The staff list, newest first (with id as the tie-break the API orders by).
            models.Index(fields=["-created_at", "-id"], name="request_newest"),
            models.Index(fields=["status", "created_at"], name="request_status_created"),
            models.Index(fields=["expert", "status"], name="request_expert_status"),
            models.Index(fields=["requester", "created_at"], name="request_requester_created"),
        ]
        constraints = [
            # Waiting or cancelled requests never had an expert; active or closed ones always do.
            models.CheckConstraint(
                condition=(
                    Q(status__in=["REQUESTED", "CANCELLED"], expert__isnull=True)
                    | Q(status__in=["ACTIVE", "CLOSED"], expert__isnull=False)
                ),
                name="request_expert_matches_status",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="request_title_not_empty"),
            models.CheckConstraint(
                condition=Q(
                    requester_read_seq__lte=F("last_seq"), expert_read_seq__lte=F("last_seq")
                ),
                name="request_read_seqs_within_last_seq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    def is_participant(self, user: User) -> bool:
        return user.pk in (self.requester_id, self.expert_id)

    def unread_count_for(self, user: User) -> int:
        """Messages the user has not read: all of them come from the other participant, since
        sending moves the sender's own read position past everything before. 0 for anyone who
        does not take part."""
        if user.pk == self.requester_id:
            return self.last_seq - self.requester_read_seq
        if user.pk == self.expert_id:
            return self.last_seq - self.expert_read_seq
        return 0


class RequestEventKind(models.TextChoices):
    CREATED = "created", "Created"
    ASSIGNED = "assigned", "Assigned"  # by matching (no actor) or by staff
    ACCEPTED = "accepted", "Accepted"  # taken from the queue by the expert
    TRANSFERRED = "transferred", "Transferred"  # moved from one expert to another
    REQUEUED = "requeued", "Requeued"  # sent back to the queue by a transfer or a timeout
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"
    REVIEWED = "reviewed", "Reviewed"


class RequestEvent(models.Model):
    """One entry of a request's timeline, written in the same transaction as the change it
    records (support.timeline), so the timeline never shows a change that was rolled back and
    never misses one that was committed. Rows are only ever added."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    event = models.CharField(max_length=16, choices=RequestEventKind.choices)
    # Who did it; null when the system did (matching, a timeout). A deleted account leaves
    # the entry in place, without its author.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What else there is to say: the experts involved, the reason, the rating.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["request", "at", "id"], name="request_event_timeline")]

    def __str__(self) -> str:
        return f"{self.event} at {self.at:%Y-%m-%d %H:%M:%S}"


class Tally(models.Model):
    """A change to one of the platform's counters (`requests.<STATUS>`, `messages`, `users`,
    `experts`, `experts_online`): the counter is the sum of its rows. On PostgreSQL, triggers
    on the requests and users tables add a row for every change that moves a counter, in the
    same transaction (support.tallies); rows are only ever added, so writers never wait on one
    another, and the rows are summed into one per counter from time to time."""

    name = models.CharField(max_length=40)
    delta = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.name} {self.delta:+d}"
