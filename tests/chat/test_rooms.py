"""join-request / leave-request: who may join, and the replay with after_seq."""

import pytest
from channels.db import database_sync_to_async

from chat.services import message_post
from support.models import RequestStatus
from tests.factories import ActiveRequestFactory, AdminFactory, SupportRequestFactory, UserFactory
from tests.helpers.sockets import ask, connected, drain, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def post(request, sender, content: str, client_id: str | None = None):
    return message_post(request_id=request.pk, sender=sender, content=content, client_id=client_id)[
        0
    ]


async def test_requester_joins_and_gets_the_rooms_last_seq(active_request, requester):
    await post(active_request, requester, "one")
    socket = await connected(requester)
    answer = await ask(
        socket, {"type": "join-request", "request_id": str(active_request.pk), "ref": 7}
    )
    assert answer == {
        "type": "joined",
        "request_id": str(active_request.pk),
        "last_seq": 1,
        "ref": 7,
    }
    assert await drain(socket) == []  # no replay without after_seq
    await socket.disconnect()


async def test_joining_tells_where_the_other_participant_stands(
    active_request, requester, assigned_expert
):
    user_socket = await connected(requester)  # online before the expert is there to hear it
    expert_socket = await connected(assigned_expert)
    await ask(expert_socket, {"type": "join-request", "request_id": str(active_request.pk)})
    presence = await receive_until(expert_socket, "presence")
    assert (presence["user_id"], presence["is_online"]) == (str(requester.pk), True)
    await user_socket.disconnect()
    await expert_socket.disconnect()


async def test_request_id_alias_is_accepted(active_request, assigned_expert):
    socket = await connected(assigned_expert)
    answer = await ask(socket, {"type": "join-request", "requestId": str(active_request.pk)})
    assert answer["type"] == "joined"
    await socket.disconnect()


async def test_join_with_after_seq_replays_later_messages_in_order_then_acks(
    active_request, requester, assigned_expert
):
    for text in ["a", "b", "c", "d"]:
        await post(active_request, requester, text)
    socket = await connected(assigned_expert)
    await socket.send_json_to(
        {"type": "join-request", "request_id": str(active_request.pk), "after_seq": 1}
    )
    frames = await drain(socket)
    assert [f["message"]["seq"] for f in frames[:-1]] == [2, 3, 4]
    assert [f["message"]["content"] for f in frames[:-1]] == ["b", "c", "d"]
    assert frames[-1] == {"type": "joined", "request_id": str(active_request.pk), "last_seq": 4}
    await socket.disconnect()


async def test_after_seq_zero_replays_everything(active_request, requester):
    await post(active_request, requester, "a")
    socket = await connected(requester)
    await socket.send_json_to(
        {"type": "join-request", "request_id": str(active_request.pk), "after_seq": 0}
    )
    frames = await drain(socket)
    assert [f["type"] for f in frames] == ["new-message", "joined"]
    await socket.disconnect()


async def test_unknown_request_is_not_found(user):
    socket = await connected(user)
    request = await database_sync_to_async(ActiveRequestFactory.create)()
    answer = await ask(socket, {"type": "join-request", "request_id": str(request.pk), "ref": "x"})
    assert answer["type"] == "error"
    assert answer["code"] == "not_found"
    assert answer["request_id"] == str(request.pk)
    assert answer["ref"] == "x"
    await socket.disconnect()


async def test_staff_who_do_not_take_part_are_denied(active_request):
    staff = await database_sync_to_async(AdminFactory.create)()
    socket = await connected(staff)
    answer = await ask(socket, {"type": "join-request", "request_id": str(active_request.pk)})
    assert answer["code"] == "access_denied"
    await socket.disconnect()


@pytest.mark.parametrize("status", [RequestStatus.REQUESTED, RequestStatus.CANCELLED])
async def test_a_request_that_is_not_active_cannot_be_joined(db, status):
    user = await database_sync_to_async(UserFactory.create)()
    request = await database_sync_to_async(SupportRequestFactory.create)(
        requester=user, status=status
    )
    socket = await connected(user)
    answer = await ask(socket, {"type": "join-request", "request_id": str(request.pk)})
    assert answer["code"] == "not_active"
    await socket.disconnect()


async def test_leave_acks_and_stops_delivery(active_request, requester, assigned_expert):
    socket = await joined(requester, active_request)
    answer = await ask(socket, {"type": "leave-request", "request_id": str(active_request.pk)})
    assert answer == {"type": "left", "request_id": str(active_request.pk)}
    await post(active_request, assigned_expert, "you left")
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_leaving_a_room_not_joined_is_not_joined(active_request, requester):
    socket = await connected(requester)
    answer = await ask(socket, {"type": "leave-request", "request_id": str(active_request.pk)})
    assert answer["code"] == "not_joined"
    await socket.disconnect()
