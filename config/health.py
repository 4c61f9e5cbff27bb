import asyncio
import logging
import uuid

from asgiref.sync import async_to_sync
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from chat.groups import channel_layer

logger = logging.getLogger(__name__)

LAYER_TIMEOUT_SECONDS = 2


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the channel layer both answer, 503 otherwise."""
    checks = {"database": _check(_database_answers), "channel_layer": _check(_layer_answers)}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


def _check(probe) -> str:
    try:
        probe()
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"; logged below
        logger.warning("health check %s failed: %s", probe.__name__, exc)
        return "failing"
    return "ok"


def _database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _layer_answers() -> None:
    async_to_sync(_layer_round_trip)()


async def _layer_round_trip() -> None:
    # Send to a fresh channel and read it back, giving up rather than hanging the probe.
    layer = channel_layer()
    async with asyncio.timeout(LAYER_TIMEOUT_SECONDS):
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping", "nonce": uuid.uuid4().hex})
        await layer.receive(channel)
