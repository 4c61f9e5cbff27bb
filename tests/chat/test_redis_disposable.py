"""Redis holds nothing that matters (docs/operations.md, "Backup and restore"): losing every
key and every connection, as when it is replaced by an empty one, loses no message, no seq and
no sign-in; chat goes on."""

import asyncio
import os

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from tests.helpers.markers import requires_redis
from tests.helpers.redis_connections import drop_redis_connections
from tests.helpers.sockets import ask, drain, joined, receive_until

pytestmark = [requires_redis, pytest.mark.django_db(transaction=True)]


def wipe_our_keys() -> None:
    """Every key of this deployment (its REDIS_PREFIX), and nothing of anyone else's."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        for key in client.scan_iter(match=f"*{settings.REDIS_PREFIX}*", count=1000):
            client.delete(key)
    finally:
        client.close()


@override_settings(CHAT_SYNC_INTERVAL=0.3)
async def test_an_empty_redis_in_place_of_the_old_one_loses_no_message(
    active_request, requester, assigned_expert
):
    request_id = str(active_request.pk)
    user_socket = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)
    for text in ("one", "two"):
        await ask(
            expert_socket, {"type": "send-message", "request_id": request_id, "content": text}
        )
    await drain(user_socket)

    await asyncio.to_thread(wipe_our_keys)
    await asyncio.to_thread(drop_redis_connections, os.getpid())
    await asyncio.sleep(0.5)

    ack = await ask(
        expert_socket, {"type": "send-message", "request_id": request_id, "content": "three"}
    )
    assert ack["type"] == "new-message"
    assert (await receive_until(user_socket, "new-message"))["message"]["seq"] == 3
    await user_socket.disconnect()

    # A new socket resumes from the database: the whole conversation, seqs without a gap.
    again = await joined(requester, active_request, carrier="query")
    replay = await ask(again, {"type": "join-request", "request_id": request_id, "after_seq": 0})
    frames = [replay, *await drain(again)]
    messages = [frame["message"] for frame in frames if frame["type"] == "new-message"]
    assert [(m["seq"], m["content"]) for m in messages] == [(1, "one"), (2, "two"), (3, "three")]
    await again.disconnect()
    await expert_socket.disconnect()
