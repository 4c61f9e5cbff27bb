"""read: a participant's read position, answered to the sender and told to the room when moved."""

import pytest
from channels.db import database_sync_to_async

from chat.services import message_post, message_read
from tests.factories import AdminFactory
from tests.helpers.sockets import ask, connected, drain, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def read(request, seq, **extra) -> dict:
    return {"type": "read", "request_id": str(request.pk), "seq": seq, **extra}


@database_sync_to_async
def say(request, sender, count: int) -> None:
    for n in range(count):
        message_post(request_id=request.pk, sender=sender, content=f"message {n}")


@database_sync_to_async
def read_seqs(request) -> tuple[int, int]:
    request.refresh_from_db()
    return request.requester_read_seq, request.expert_read_seq


async def test_a_read_is_answered_with_its_ref_and_told_to_the_other_participant(
    active_request, requester, assigned_expert
):
    await say(active_request, assigned_expert, 3)
    user_socket = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)

    answer = await ask(user_socket, read(active_request, 2, ref="r1"))

    expected = {
        "type": "read",
        "request_id": str(active_request.pk),
        "user_id": str(requester.pk),
        "seq": 2,
    }
    assert answer == {**expected, "ref": "r1"}
    assert await receive_until(expert_socket, "read") == expected
    assert await drain(user_socket) == []
    assert await read_seqs(active_request) == (2, 3)
    await user_socket.disconnect()
    await expert_socket.disconnect()


async def test_a_read_that_moves_nothing_is_answered_but_not_told(
    active_request, requester, assigned_expert
):
    await say(active_request, assigned_expert, 2)
    user_socket = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)
    await ask(user_socket, read(active_request, 2))
    await receive_until(expert_socket, "read")

    behind = await ask(user_socket, read(active_request, 1, ref=7))
    ahead = await ask(user_socket, read(active_request, 50, ref=8))

    assert (behind["seq"], behind["ref"]) == (2, 7)
    assert (ahead["seq"], ahead["ref"]) == (2, 8)  # clamped to last_seq, so unchanged
    assert await drain(expert_socket) == []
    await user_socket.disconnect()
    await expert_socket.disconnect()


async def test_a_read_over_rest_reaches_every_socket_in_the_room(
    active_request, requester, assigned_expert
):
    await say(active_request, assigned_expert, 1)
    first_tab = await joined(requester, active_request)
    second_tab = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)

    await database_sync_to_async(message_read)(request_id=active_request.pk, user=requester, seq=1)

    for socket in (first_tab, second_tab, expert_socket):
        frame = await receive_until(socket, "read")
        assert (frame["user_id"], frame["seq"]) == (str(requester.pk), 1)
        await socket.disconnect()


async def test_reading_needs_a_joined_room(active_request, requester):
    socket = await connected(requester)
    answer = await ask(socket, read(active_request, 0, ref=1))
    assert (answer["code"], answer["ref"]) == ("not_joined", 1)
    await socket.disconnect()


@pytest.mark.parametrize("seq", [-1, 1.5, "3", None, True, [1]])
async def test_a_bad_seq_is_invalid_payload_and_stores_nothing(active_request, requester, seq):
    await say(active_request, requester, 1)
    socket = await joined(requester, active_request)

    answer = await ask(socket, read(active_request, seq, ref="x"))

    assert (answer["type"], answer["code"], answer["ref"]) == ("error", "invalid_payload", "x")
    assert await read_seqs(active_request) == (1, 0)
    await socket.disconnect()


async def test_a_huge_seq_is_clamped_to_the_last_message(active_request, requester):
    await say(active_request, requester, 1)
    socket = await joined(requester, active_request)
    answer = await ask(socket, read(active_request, 10**30))
    assert answer["seq"] == 1
    await socket.disconnect()


async def test_staff_watching_a_room_cannot_mark_it_read(active_request):
    staff = await database_sync_to_async(AdminFactory.create)()
    socket = await connected(staff)
    await ask(socket, {"type": "join-request", "request_id": str(active_request.pk)})

    answer = await ask(socket, read(active_request, 0))

    assert answer["type"] == "error"
    assert answer["code"] in {"access_denied", "not_joined"}
    await socket.disconnect()
