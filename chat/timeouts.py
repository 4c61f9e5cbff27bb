"""Timeouts of ACTIVE requests (SPEC part 2, "Transfers and timeouts"):

- FIRST_RESPONSE_TIMEOUT: the expert has not written since they were assigned -> the request
  goes back to the queue, to anyone but them (support.services.request_requeue);
- INACTIVITY_CLOSE_AFTER: nobody has written since the last message, or since the assignment
  if there is none -> the request is closed.

They live in chat because what they watch is the conversation. `requests_time_out` is a plain
sync job: the worker (core.worker) runs it periodically, in every server process or in
`manage.py run_worker`, and `manage.py apply_timeouts` runs it once. Any number of processes
may run it at once: each request is claimed with `SELECT ... FOR UPDATE SKIP LOCKED`, one per
transaction, and its condition checked again under that lock, so each timeout acts once, and
never on a request that changed meanwhile (an expert who just wrote, a close, a transfer).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from chat.models import Message
from support.models import RequestStatus, SupportRequest
from support.services import request_close_idle, request_requeue

logger = logging.getLogger(__name__)

# Requests one run acts on per timeout at most; the rest wait for the next run.
BATCH = 100
# How often a server process looks for due requests: a quarter of the shortest timeout, within
# these bounds (seconds), so a request is acted on soon after it is due without a busy loop.
CHECK_INTERVAL_MIN, CHECK_INTERVAL_MAX = 0.5, 5.0


def unanswered_since(cutoff: datetime) -> QuerySet[SupportRequest]:
    """ACTIVE requests assigned at or before `cutoff` whose expert has not written since."""
    expert_wrote = Message.objects.filter(
        request=OuterRef("pk"), sender=OuterRef("expert"), created_at__gte=OuterRef("accepted_at")
    )
    return SupportRequest.objects.filter(
        status=RequestStatus.ACTIVE, accepted_at__lte=cutoff
    ).exclude(Exists(expert_wrote))


def idle_since(cutoff: datetime) -> QuerySet[SupportRequest]:
    """ACTIVE requests with no message, and no assignment, after `cutoff`."""
    recent = Message.objects.filter(request=OuterRef("pk"), created_at__gt=cutoff)
    return SupportRequest.objects.filter(
        status=RequestStatus.ACTIVE, accepted_at__lte=cutoff
    ).exclude(Exists(recent))


@dataclass(frozen=True)
class TimedOut:
    requeued: list[UUID]
    closed: list[UUID]


def requests_time_out(*, now: datetime | None = None) -> TimedOut:
    """Apply both timeouts (those switched on) to the requests due at `now`."""
    now = now or timezone.now()
    requeued, closed = [], []
    if seconds := settings.FIRST_RESPONSE_TIMEOUT:
        cutoff = now - timedelta(seconds=seconds)
        requeued = _each_due(
            lambda: unanswered_since(cutoff),
            lambda request: request_requeue(
                request=request, actor=None, reason="first_response_timeout"
            ),
        )
    if seconds := settings.INACTIVITY_CLOSE_AFTER:
        cutoff = now - timedelta(seconds=seconds)
        closed = _each_due(
            lambda: idle_since(cutoff),
            lambda request: request_close_idle(request_id=request.pk, idle_seconds=seconds),
        )
    return TimedOut(requeued=requeued, closed=closed)


def _each_due(
    due: Callable[[], QuerySet[SupportRequest]],
    act: Callable[[SupportRequest], SupportRequest | None],
) -> list[UUID]:
    """Claim the due requests one by one, each in its own transaction, and act on them."""
    done: list[UUID] = []
    for _ in range(BATCH):
        with transaction.atomic():
            # Locks the request row only (not its expert's): the actions take no other lock
            # before it, and matching runs after commit (support.services.request_requeue).
            request = (
                due()
                .select_related("expert")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("accepted_at", "pk")
                .first()
            )
            if request is None:
                break
            # Again, in a statement of its own: the claim's snapshot may predate a message
            # committed while it waited for the row. Now that the row is locked, no message can
            # be stored in the request (storing one updates the row) until this commits.
            if due().filter(pk=request.pk).exists() and act(request) is not None:
                done.append(request.pk)
    return done


def check_interval() -> float:
    timeouts = [t for t in (settings.FIRST_RESPONSE_TIMEOUT, settings.INACTIVITY_CLOSE_AFTER) if t]
    if not timeouts:
        return CHECK_INTERVAL_MAX
    return min(max(min(timeouts) / 4, CHECK_INTERVAL_MIN), CHECK_INTERVAL_MAX)


def timeouts_job() -> int:
    """The worker's job (core.worker): apply the timeouts that are switched on; how many
    requests it acted on."""
    if not (settings.FIRST_RESPONSE_TIMEOUT or settings.INACTIVITY_CLOSE_AFTER):
        return 0
    timed_out = requests_time_out()
    if timed_out.requeued or timed_out.closed:
        logger.info(
            "timeouts: %d request(s) back in the queue (no first response), %d closed (inactive)",
            len(timed_out.requeued),
            len(timed_out.closed),
        )
    return len(timed_out.requeued) + len(timed_out.closed)


def timeouts_backlog() -> float | None:
    """Seconds the longest-overdue request has waited for its timeout (None: none is due)."""
    now = timezone.now()
    overdue: list[float] = []
    for seconds, due in (
        (settings.FIRST_RESPONSE_TIMEOUT, unanswered_since),
        (settings.INACTIVITY_CLOSE_AFTER, idle_since),
    ):
        if seconds:
            cutoff = now - timedelta(seconds=seconds)
            oldest = due(cutoff).order_by("accepted_at").values_list("accepted_at", flat=True)
            accepted_at = oldest.first()
            if accepted_at is not None:
                overdue.append((cutoff - accepted_at).total_seconds())
    return max(overdue, default=None)


def timeouts_pending() -> int:
    """Requests whose timeout is due and not yet applied (one that is due on both counts
    counts twice: it is two timeouts)."""
    now = timezone.now()
    return sum(
        due(now - timedelta(seconds=seconds)).count()
        for seconds, due in (
            (settings.FIRST_RESPONSE_TIMEOUT, unanswered_since),
            (settings.INACTIVITY_CLOSE_AFTER, idle_since),
        )
        if seconds
    )
