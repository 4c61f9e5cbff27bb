"""The worker's offline-email job: look at each due OfflineNotice row and send, wait or rest.

A row is claimed under a lease (core.leases: SELECT … FOR UPDATE SKIP LOCKED), so however many
processes run the job, one of them looks at it; the email is sent with no transaction open,
and the outcome recorded with an UPDATE that names the lease. An SMTP failure is tried again
after the next of NOTIFY_RETRY_DELAYS. At least once per streak: a process that dies between
the SMTP server's "250 OK" and its UPDATE leaves the row to be claimed, and sent, again once
the lease has run out; never twice otherwise.

What a look decides, from the rows as they are now:
- rest (DONE, until the other side sends again): the user no longer takes part, was
  deactivated, is staff, turned the emails off, or has read everything;
- wait: the last email's messages are still unread (the same streak; looked at again later
  while the request is ACTIVE, so that reading exactly that far and no further still starts a
  new one), the first unread message is younger than NOTIFY_OFFLINE_AFTER, or the user has a
  socket open (looked at again NOTIFY_OFFLINE_AFTER later);
- send one email: "N new messages in «title»", quoting the newest.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from chat.models import Message
from core.leases import JobStatus, claim, due_count, oldest_pending_age, retry_or_fail
from notifications.emails import offline_email
from notifications.models import OfflineNotice
from support.models import RequestStatus

logger = logging.getLogger("notifications.offline_emails")


@dataclass(frozen=True)
class _Rest:
    reason: str


@dataclass(frozen=True)
class _Wait:
    until: datetime


@dataclass(frozen=True)
class _Send:
    unread: int
    newest_seq: int


def lease_seconds() -> float:
    # An SMTP exchange is a few round trips (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA,
    # QUIT), each bounded by EMAIL_TIMEOUT.
    return 8 * settings.EMAIL_TIMEOUT + 10


def offline_emails_send() -> int:
    """Claim one due row and act on it; returns how many were handled (0 or 1: the worker runs
    the job again at once while it finds work, and each claim's lease covers one send)."""
    if not settings.EMAIL_ENABLED:
        return 0
    lease, pks = claim(OfflineNotice.objects.all(), limit=1, lease_seconds=lease_seconds())
    for pk in pks:
        _look(pk, lease)
    return len(pks)


def offline_emails_backlog() -> float | None:
    if not settings.EMAIL_ENABLED:
        return None
    return oldest_pending_age(OfflineNotice.objects.all())


def offline_emails_pending() -> int:
    if not settings.EMAIL_ENABLED:
        return 0
    return due_count(OfflineNotice.objects.all())


def _look(pk: int, lease: uuid.UUID) -> None:
    # One query, so the request's read state and the row's last_message_seq are of one moment.
    notice = OfflineNotice.objects.select_related("request", "user").filter(pk=pk).first()
    if notice is None:  # deleted with its request or its user since the claim
        return
    now = timezone.now()
    step = _next_step(notice, now)
    if isinstance(step, _Rest):
        logger.debug("offline notice %s rests: %s", pk, step.reason)
        _rest(notice, lease, now)
    elif isinstance(step, _Wait):
        _wait(notice, lease, step.until)
    else:
        _send(notice, lease, step)


def _next_step(notice: OfflineNotice, now: datetime) -> _Rest | _Wait | _Send:
    request, user = notice.request, notice.user
    delay = timedelta(seconds=settings.NOTIFY_OFFLINE_AFTER)
    if user.pk == request.requester_id:
        read_seq = request.requester_read_seq
    elif user.pk == request.expert_id:
        read_seq = request.expert_read_seq
    else:
        return _Rest("no longer takes part")
    if not user.is_active or user.is_admin or not user.email_notifications:
        return _Rest("not to be emailed")
    if read_seq >= request.last_seq:
        return _Rest("read everything")
    if notice.notified_seq > read_seq:
        if request.status == RequestStatus.ACTIVE:
            return _Wait(now + delay)
        return _Rest("already emailed about these")
    first_unread_at = (
        Message.objects.filter(request=request, seq=read_seq + 1)
        .values_list("created_at", flat=True)
        .first()
    )
    if first_unread_at is not None and first_unread_at + delay > now:
        return _Wait(first_unread_at + delay)
    if user.is_online:
        return _Wait(now + delay)
    return _Send(unread=request.last_seq - read_seq, newest_seq=request.last_seq)


def _held(notice: OfflineNotice, lease: uuid.UUID) -> QuerySet[OfflineNotice]:
    return OfflineNotice.objects.filter(pk=notice.pk, lease=lease, status=JobStatus.PENDING)


def _rest(notice: OfflineNotice, lease: uuid.UUID, now: datetime) -> None:
    # Only if no message arrived since the row was read: one that did must get its own look.
    rested = (
        _held(notice, lease)
        .filter(last_message_seq=notice.last_message_seq)
        .update(status=JobStatus.DONE, finished_at=now, attempts=0, **_unleased())
    )
    if not rested:
        _wait(notice, lease, now)


def _wait(notice: OfflineNotice, lease: uuid.UUID, until: datetime) -> None:
    # A wait is no failed try: the SMTP retries count from the next send.
    _held(notice, lease).update(run_after=until, attempts=0, **_unleased())


def _unleased() -> dict[str, None]:
    return {"lease": None, "lease_expires_at": None}


def _send(notice: OfflineNotice, lease: uuid.UUID, step: _Send) -> None:
    request, user = notice.request, notice.user
    newest = Message.objects.select_related("sender").get(request=request, seq=step.newest_seq)
    email = offline_email(request=request, user=user, unread=step.unread, newest=newest)
    try:
        email.send()
    except OSError as exc:  # smtplib's errors, refused connections, timeouts
        tries = notice.attempts  # loaded after the claim counted this try
        retry_or_fail(
            OfflineNotice,
            notice.pk,
            lease,
            error=f"{type(exc).__name__}: {exc}",
            attempts=tries,
            delays=settings.NOTIFY_RETRY_DELAYS,
        )
        logger.warning("offline email to user %s failed (try %d): %s", user.pk, tries, exc)
        return
    now = timezone.now()
    # Messages stored since the request was read belong to this streak: like any that arrive
    # before the user has read this far, they keep the row waiting, not another email.
    newer = Q(last_message_seq__gt=step.newest_seq)
    _held(notice, lease).update(
        notified_seq=step.newest_seq,
        emails_sent=F("emails_sent") + 1,
        last_sent_at=now,
        last_error="",
        attempts=0,
        status=Case(When(newer, then=Value(JobStatus.PENDING)), default=Value(JobStatus.DONE)),
        run_after=Case(
            When(newer, then=Value(now + timedelta(seconds=settings.NOTIFY_OFFLINE_AFTER))),
            default=F("run_after"),
        ),
        finished_at=Case(When(newer, then=None), default=Value(now)),
        **_unleased(),
    )
    logger.info(
        "offline email sent to user %s: %d new messages in request %s",
        user.pk,
        step.unread,
        request.pk,
    )
