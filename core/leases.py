"""Work items kept as database rows and done by the worker (core.worker), at least once.

A row is *claimed* for a while (its lease) in a short transaction that skips rows another
process has locked, then worked on with no transaction open (a webhook POST may take seconds),
then finished with an UPDATE that names the lease it was claimed with. So:
- two processes never work on one item at the same time;
- a process that dies mid-item leaves it to be claimed again once the lease has run out;
- a process that outlived its lease (it was paused, say) finds its lease taken over and writes
  nothing: the item's outcome is the one of the process that holds it.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone


class JobStatus(models.TextChoices):
    PENDING = "PENDING", "pending"  # to do (when run_after comes), or being done under a lease
    DONE = "DONE", "done"
    FAILED = "FAILED", "failed"  # given up after the last try


class LeasedJob(models.Model):
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Tries started so far.")
    run_after = models.DateTimeField(default=timezone.now, help_text="Not tried before this.")
    lease = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


def due(queryset: QuerySet, *, now: datetime) -> QuerySet:
    """The rows of `queryset` that may be claimed now: pending, due, and held by no lease."""
    return queryset.filter(status=JobStatus.PENDING, run_after__lte=now).filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
    )


def claim(queryset: QuerySet, *, limit: int, lease_seconds: float) -> tuple[uuid.UUID, list[int]]:
    """Claim up to `limit` due rows of `queryset` (oldest first) for `lease_seconds`, counting a
    try on each. Returns the lease and the claimed primary keys."""
    lease = uuid.uuid4()
    with transaction.atomic():
        now = timezone.now()
        # SKIP LOCKED: rows another process is claiming right now are left to it, not waited
        # for. (SQLite has no row locks; it runs one server process and one worker.)
        pks = list(
            due(queryset, now=now)
            .order_by("pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:limit]
        )
        if pks:
            queryset.model._default_manager.filter(pk__in=pks).update(
                lease=lease,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=F("attempts") + 1,
            )
    return lease, pks


def _held(model: type[LeasedJob], pk: int, lease: uuid.UUID) -> QuerySet:
    return model._default_manager.filter(pk=pk, lease=lease, status=JobStatus.PENDING)


def finish(model: type[LeasedJob], pk: int, lease: uuid.UUID, **fields: object) -> bool:
    """Mark the row done, if this lease still holds it."""
    now = timezone.now()
    return bool(
        _held(model, pk, lease).update(
            status=JobStatus.DONE, finished_at=now, lease=None, lease_expires_at=None, **fields
        )
    )


def retry_or_fail(
    model: type[LeasedJob],
    pk: int,
    lease: uuid.UUID,
    *,
    error: str,
    attempts: int,
    delays: Sequence[float],
    **fields: object,
) -> bool:
    """After a failed try number `attempts`: try again after `delays[attempts - 1]` seconds, or
    give up once every delay has been used. False if this lease no longer holds the row."""
    now = timezone.now()
    update: dict[str, object] = {
        "last_error": error[:2000],
        "lease": None,
        "lease_expires_at": None,
    }
    if attempts <= len(delays):
        update["run_after"] = now + timedelta(seconds=delays[attempts - 1])
    else:
        update.update(status=JobStatus.FAILED, finished_at=now)
    return bool(_held(model, pk, lease).update(**update, **fields))


def due_count(queryset: QuerySet) -> int:
    """How many rows of `queryset` are due and unfinished (being done under a lease included)."""
    return queryset.filter(status=JobStatus.PENDING, run_after__lte=timezone.now()).count()


def oldest_pending_age(queryset: QuerySet) -> float | None:
    """Seconds since the oldest due, unfinished row of `queryset` was due (None when none is)."""
    now = timezone.now()
    oldest = (
        queryset.filter(status=JobStatus.PENDING, run_after__lte=now)
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    return None if oldest is None else max(0.0, (now - oldest).total_seconds())
