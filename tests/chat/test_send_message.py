"""send-message: stored, then delivered to everyone in the room, the sender included."""

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from chat.models import Message
from tests.helpers.sockets import ask, connected, drain, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def send(request, content="Hello", **extra) -> dict:
    return {"type": "send-message", "request_id": str(request.pk), "content": content, **extra}


@database_sync_to_async
def stored(request) -> list[tuple[int, str]]:
    return list(Message.objects.filter(request=request).values_list("seq", "content"))


async def test_a_message_reaches_both_participants_with_the_senders_ref(
    active_request, requester, assigned_expert
):
    user_socket = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)

    ack = await ask(user_socket, send(active_request, "  Hi there  ", ref="m1", client_id="c-1"))
    assert ack["type"] == "new-message"
    assert ack["ref"] == "m1"
    message = ack["message"]
    assert message["seq"] == 1
    assert message["content"] == "Hi there"
    assert message["client_id"] == "c-1"
    assert message["request_id"] == str(active_request.pk)
    assert message["sender"] == {
        "id": str(requester.pk),
        "name": requester.name,
        "role": "USER",
    }
    assert set(message) == {
        "id", "request_id", "seq", "sender", "content", "client_id", "created_at", "attachments",
    }  # fmt: skip
    assert message["attachments"] == []
    received = await receive_until(expert_socket, "new-message")
    assert received == {"type": "new-message", "message": message}
    # The sender's own broadcast echo is a duplicate and is dropped.
    assert await drain(user_socket) == []
    assert await stored(active_request) == [(1, "Hi there")]
    await user_socket.disconnect()
    await expert_socket.disconnect()


async def test_the_node_spelling_send_message_is_accepted(active_request, requester):
    socket = await joined(requester, active_request)
    ack = await ask(socket, {**send(active_request), "type": "Send-message"})
    assert ack["type"] == "new-message"
    await socket.disconnect()


async def test_a_repeated_client_id_stores_nothing_and_answers_with_the_original(
    active_request, requester, assigned_expert
):
    user_socket = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)
    first = await ask(user_socket, send(active_request, "once", client_id="same"))
    await receive_until(expert_socket, "new-message")
    again = await ask(user_socket, send(active_request, "once", client_id="same", ref=2))
    assert again["ref"] == 2
    assert again["message"] == first["message"]
    assert await stored(active_request) == [(1, "once")]
    assert await expert_socket.receive_nothing(timeout=0.5)
    await user_socket.disconnect()
    await expert_socket.disconnect()


async def test_sending_without_joining_is_not_joined(active_request, requester):
    socket = await connected(requester)
    answer = await ask(socket, send(active_request))
    assert answer["code"] == "not_joined"
    assert await stored(active_request) == []
    await socket.disconnect()


@pytest.mark.parametrize(
    "content",
    ["", "   ", "x" * 4001, None, 42],
    ids=["empty", "blank", "too-long", "missing", "not-a-string"],
)
async def test_bad_content_is_invalid_payload(active_request, requester, content):
    socket = await joined(requester, active_request)
    frame = send(active_request)
    if content is None:
        del frame["content"]
    else:
        frame["content"] = content
    answer = await ask(socket, frame)
    assert answer["code"] == "invalid_payload"
    assert answer["request_id"] == str(active_request.pk)
    assert await stored(active_request) == []
    await socket.disconnect()


async def test_content_of_exactly_4000_characters_is_accepted(active_request, requester):
    socket = await joined(requester, active_request)
    ack = await ask(socket, send(active_request, "y" * 4000))
    assert ack["message"]["seq"] == 1
    await socket.disconnect()


async def test_a_client_id_over_64_characters_is_invalid_payload(active_request, requester):
    socket = await joined(requester, active_request)
    answer = await ask(socket, send(active_request, client_id="c" * 65))
    assert answer["code"] == "invalid_payload"
    await socket.disconnect()


async def test_sending_after_the_request_closed_is_not_active(active_request, requester):
    socket = await joined(requester, active_request)
    await database_sync_to_async(type(active_request).objects.filter(pk=active_request.pk).update)(
        status="CLOSED"
    )
    answer = await ask(socket, send(active_request))
    assert answer["code"] == "not_active"
    assert await stored(active_request) == []
    await socket.disconnect()


@override_settings(WS_MESSAGE_RATE=1.0, WS_MESSAGE_BURST=3)
async def test_more_messages_than_the_burst_are_rate_limited_and_not_stored(
    active_request, requester
):
    socket = await joined(requester, active_request)
    answers = [await ask(socket, send(active_request, f"m{i}", ref=i)) for i in range(5)]
    assert [a["type"] for a in answers] == ["new-message"] * 3 + ["error"] * 2
    assert {a["code"] for a in answers[3:]} == {"rate_limited"}
    assert [a["ref"] for a in answers[3:]] == [3, 4]
    assert [seq for seq, _ in await stored(active_request)] == [1, 2, 3]
    await socket.disconnect()
