"""The worker's webhook job: POST each due delivery, signed, and record what happened.

A delivery is claimed under a lease (core.leases) and POSTed with no transaction open. A 2xx
answer marks it delivered; anything else (another status, a timeout, a refused connection, an
address that is no longer allowed) is tried again after the next of WEBHOOK_RETRY_DELAYS, and
marked failed once they are used up. Per endpoint and request, a delivery is not tried while an
older one is still pending: the receiver gets a request's events in order.
"""

import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.leases import JobStatus, claim, due_count, finish, oldest_pending_age, retry_or_fail
from core.metrics import WEBHOOK_DELIVERIES
from integrations.addresses import AddressRefused, Target, resolve
from integrations.models import WebhookDelivery

logger = logging.getLogger("integrations.webhooks")

USER_AGENT = "ExpertSupport-Webhooks/1"
# Deliveries claimed at once by one thread: one, so that a lease only has to outlast one POST
# (the worker runs several threads, and a thread that found work claims again at once).
_BATCH = 1
# Threads per process POSTing deliveries, so one slow receiver does not hold up the others.
THREADS = 4
# What is read of a receiver's answer: its status is all that counts.
_ANSWER_READ_BYTES = 64 * 1024


def lease_seconds() -> float:
    # Long enough for the POST (connect, send, answer: each bounded by the timeout) to end.
    return 3 * settings.WEBHOOK_TIMEOUT + 10


def _claimable():
    older_pending = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        ordering_key=OuterRef("ordering_key"),
        status=JobStatus.PENDING,
        pk__lt=OuterRef("pk"),
    )
    return WebhookDelivery.objects.filter(endpoint__is_active=True).exclude(Exists(older_pending))


# Whether anything may be due, from the partial index of pending deliveries: every process's
# worker asks it every second, mostly to hear no, and building the claim's query (the ORM's
# copies of its subquery) cost twenty times as much as this.
_ANY_DUE_SQL = (
    f"SELECT 1 FROM {WebhookDelivery._meta.db_table} WHERE status = %s AND run_after <= %s LIMIT 1"
)


def _nothing_due() -> bool:
    with connection.cursor() as cursor:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(_ANY_DUE_SQL, [JobStatus.PENDING.value, now])
        return cursor.fetchone() is None


def deliveries_send() -> int:
    """Claim due deliveries and POST them; returns how many were tried."""
    if _nothing_due():
        return 0
    lease, pks = claim(_claimable(), limit=_BATCH, lease_seconds=lease_seconds())
    for pk in pks:
        delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=pk)
        _attempt(delivery, lease)
    return len(pks)


def deliveries_backlog() -> float | None:
    return oldest_pending_age(WebhookDelivery.objects.filter(endpoint__is_active=True))


def deliveries_pending() -> int:
    return due_count(WebhookDelivery.objects.filter(endpoint__is_active=True))


def body_of(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    envelope = {
        "id": str(event.id),
        "event": event.event,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _attempt(delivery: WebhookDelivery, lease) -> None:
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Expert-Support-Event": delivery.event.event,
        "X-Expert-Support-Delivery": str(delivery.delivery_id),
        "X-Expert-Support-Signature": signature(delivery.endpoint.secret, body),
    }
    started = time.monotonic()
    status: int | None = None
    try:
        status = post(resolve(delivery.endpoint.url), body, headers, settings.WEBHOOK_TIMEOUT)
        error = "" if 200 <= status < 300 else f"The receiver answered {status}."
    except AddressRefused as exc:
        error = str(exc)
    except (OSError, http.client.HTTPException) as exc:
        error = _describe(exc)
    took = time.monotonic() - started
    if not error:
        finish(WebhookDelivery, delivery.pk, lease, last_status_code=status, last_error="")
        WEBHOOK_DELIVERIES.labels("delivered").inc()
        logger.info(
            "webhook %s delivered to %s (%s, %.0f ms)",
            delivery.event.event,
            delivery.endpoint.url,
            status,
            took * 1000,
        )
        return
    tries = delivery.attempts  # loaded after the claim counted this try
    retry_or_fail(
        WebhookDelivery,
        delivery.pk,
        lease,
        error=error,
        attempts=tries,
        delays=settings.WEBHOOK_RETRY_DELAYS,
        last_status_code=status,
    )
    gave_up = tries > len(settings.WEBHOOK_RETRY_DELAYS)
    WEBHOOK_DELIVERIES.labels("failed" if gave_up else "retry").inc()
    logger.warning(
        "webhook %s to %s failed (try %d): %s",
        delivery.event.event,
        delivery.endpoint.url,
        tries,
        error,
    )


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to the target at one of the addresses that were checked; the status code."""
    sock = _connect(target, timeout)
    connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    connection.sock = sock
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(_ANSWER_READ_BYTES)
        return answer.status
    finally:
        connection.close()


def _connect(target: Target, timeout: float) -> socket.socket:
    last_error: OSError | None = None
    for address in target.addresses:
        try:
            sock = socket.create_connection((address, target.port), timeout=timeout)
        except OSError as exc:
            last_error = exc
            continue
        if target.scheme == "https":
            context = ssl.create_default_context()
            try:
                return context.wrap_socket(sock, server_hostname=target.host)
            except OSError:
                sock.close()
                raise
        return sock
    raise last_error or OSError("no address to connect to")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"No answer within {settings.WEBHOOK_TIMEOUT:g} s."
    if isinstance(exc, ConnectionRefusedError):
        return "The connection was refused."
    return f"{type(exc).__name__}: {exc}"[:500]
