"""Exactly once, in seq order, with no gaps: whatever order the channel layer delivers in, and
whatever it loses."""

import asyncio
import os

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F
from django.test import override_settings

from accounts.models import User
from chat.groups import EVENT_MESSAGE, request_group
from chat.models import Message
from chat.protocol.server import MessageData
from chat.serializers import message_data
from support.models import SupportRequest
from tests.helpers.markers import requires_redis
from tests.helpers.redis_connections import drop_redis_connections
from tests.helpers.sockets import WAIT, ask, drain, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def store_silently(request: SupportRequest, sender: User, content: str) -> MessageData:
    """Store a message the way message_post does, but without broadcasting it: as if the
    channel layer had lost the broadcast."""
    with transaction.atomic():
        SupportRequest.objects.filter(pk=request.pk).update(last_seq=F("last_seq") + 1)
        seq = SupportRequest.objects.get(pk=request.pk).last_seq
        message = Message.objects.create(request=request, sender=sender, seq=seq, content=content)
    return message_data(Message.objects.select_related("sender").get(pk=message.pk))


async def broadcast_raw(message: MessageData) -> None:
    layer = get_channel_layer()
    assert layer is not None
    await layer.group_send(
        request_group(message["request_id"]), {"type": EVENT_MESSAGE, "message": message}
    )


def seqs(frames: list[dict]) -> list[int]:
    return [frame["message"]["seq"] for frame in frames if frame["type"] == "new-message"]


async def test_a_later_seq_first_fills_the_gap_from_the_database_and_repeats_are_dropped(
    active_request, requester, assigned_expert
):
    socket = await joined(requester, active_request)
    first, second, third = [
        await store_silently(active_request, assigned_expert, text) for text in "abc"
    ]
    await broadcast_raw(third)
    await broadcast_raw(second)
    await broadcast_raw(first)
    await broadcast_raw(third)
    frames = await drain(socket)
    assert seqs(frames) == [1, 2, 3]
    assert [f["message"]["content"] for f in frames] == ["a", "b", "c"]
    await socket.disconnect()


@override_settings(CHAT_SYNC_INTERVAL=0.2)
async def test_a_lost_broadcast_is_caught_up_by_the_periodic_sync(
    active_request, requester, assigned_expert
):
    socket = await joined(requester, active_request)
    await store_silently(active_request, assigned_expert, "lost in transit")
    frame = await receive_until(socket, "new-message")
    assert frame["message"]["seq"] == 1
    assert await drain(socket) == []
    await socket.disconnect()


async def test_a_rejoin_with_after_seq_resumes_without_loss_or_repeat(
    active_request, requester, assigned_expert
):
    expert_socket = await joined(assigned_expert, active_request)
    request_id = str(active_request.pk)
    for n in range(3):
        await ask(
            expert_socket, {"type": "send-message", "request_id": request_id, "content": f"{n}"}
        )
    user_socket = await joined(requester, active_request)  # tracks from seq 3
    await ask(expert_socket, {"type": "send-message", "request_id": request_id, "content": "3"})
    assert seqs(await drain(user_socket)) == [4]
    await user_socket.disconnect()

    for n in range(5, 7):
        await ask(
            expert_socket, {"type": "send-message", "request_id": request_id, "content": f"{n}"}
        )
    again = await joined(requester, active_request)
    await again.send_json_to({"type": "join-request", "request_id": request_id, "after_seq": 4})
    frames = await drain(again)
    assert seqs(frames) == [5, 6]
    assert frames[-1] == {"type": "joined", "request_id": request_id, "last_seq": 6}
    await again.disconnect()
    await expert_socket.disconnect()


@requires_redis
@override_settings(CHAT_SYNC_INTERVAL=60)  # delivery after the kill must come from the layer
async def test_sockets_survive_redis_dropping_their_connections_and_delivery_resumes(
    active_request, requester, assigned_expert
):
    user_socket = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)
    request_id = str(active_request.pk)
    await ask(
        expert_socket, {"type": "send-message", "request_id": request_id, "content": "before"}
    )
    assert seqs(await drain(user_socket)) == [1]

    killed = await asyncio.to_thread(drop_redis_connections, os.getpid())
    assert killed > 0
    await asyncio.sleep(0.5)

    for n in range(3):
        ack = await ask(
            expert_socket, {"type": "send-message", "request_id": request_id, "content": f"{n}"}
        )
        assert ack["type"] == "new-message"
    received: list[dict] = []
    while len(received) < 3:
        received.append(await receive_until(user_socket, "new-message"))
    assert seqs(received) == [2, 3, 4]
    answer = await ask(user_socket, {"type": "leave-request", "request_id": request_id})
    assert answer["type"] == "left"
    await user_socket.disconnect()
    await expert_socket.disconnect()


async def test_every_socket_gets_every_message_once_in_order_under_concurrent_senders(
    active_request, requester, assigned_expert
):
    user_socket = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)
    request_id = str(active_request.pk)

    async def burst(socket, prefix):
        for n in range(8):
            frame = {"type": "send-message", "request_id": request_id, "content": f"{prefix}{n}"}
            await socket.send_json_to(frame)

    await asyncio.gather(burst(user_socket, "u"), burst(expert_socket, "e"))
    for socket in (user_socket, expert_socket):
        got: list[dict] = []
        while len(got) < 16:
            got.append(await receive_until(socket, "new-message"))
        assert seqs(got) == list(range(1, 17))
        assert await drain(socket) == []
    await user_socket.disconnect()
    await expert_socket.disconnect()
    assert WAIT
