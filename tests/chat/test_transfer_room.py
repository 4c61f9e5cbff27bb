"""A transfer over the socket: everyone involved hears it, the expert it leaves is out of the
room at once, and the new expert picks up the conversation."""

import pytest
from channels.db import database_sync_to_async

from chat.services import message_post
from support.services import request_transfer
from tests.factories import AdminFactory, ExpertFactory
from tests.helpers.sockets import ask, connected, drain, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def transfer(request, actor, expert=None):
    return request_transfer(
        request_id=request.pk, actor=actor, expert_id=expert.pk if expert else None
    )


@database_sync_to_async
def say(request, sender, content: str):
    return message_post(request_id=request.pk, sender=sender, content=content)[0]


async def test_everyone_involved_hears_the_transfer_and_the_previous_expert_leaves_the_room(
    active_request, requester, assigned_expert
):
    target = await database_sync_to_async(ExpertFactory.create)()
    user_socket = await joined(requester, active_request)
    previous_socket = await joined(assigned_expert, active_request)
    target_socket = await connected(target)
    await drain(user_socket, skip=set())
    await drain(previous_socket, skip=set())

    await transfer(active_request, assigned_expert, target)

    for socket in (user_socket, previous_socket, target_socket):
        update = await receive_until(socket, "request-updated")
        assert update["request"]["expert"]["id"] == str(target.pk)
        assert update["request"]["status"] == "ACTIVE"
    # Heard once, although the participants are told through their own group and the room.
    later = await drain(user_socket, skip=set()) + await drain(previous_socket, skip=set())
    assert [f for f in later if f["type"] == "request-updated"] == []

    # The room goes on without the previous expert: they hear nothing of it any more.
    await say(active_request, requester, "Are you still there?")
    assert (await receive_until(user_socket, "new-message"))["message"]["seq"] == 1
    assert await drain(previous_socket, skip=set()) == []

    # And they cannot come back: the request is no longer one they may see.
    refused = await ask(
        previous_socket, {"type": "join-request", "request_id": str(active_request.pk)}
    )
    assert (refused["type"], refused["code"]) == ("error", "not_found")
    send = {"type": "send-message", "request_id": str(active_request.pk), "content": "hi"}
    assert (await ask(previous_socket, send))["code"] == "not_joined"

    # The new expert joins and has the whole conversation.
    await target_socket.send_json_to(
        {"type": "join-request", "request_id": str(active_request.pk), "after_seq": 0}
    )
    replay = await receive_until(target_socket, "new-message")
    assert replay["message"]["content"] == "Are you still there?"
    assert (await receive_until(target_socket, "joined"))["last_seq"] == 1
    for socket in (user_socket, previous_socket, target_socket):
        await socket.disconnect()


async def test_a_requeue_by_staff_reaches_the_requester_and_the_previous_expert(
    active_request, requester, assigned_expert
):
    staff = await database_sync_to_async(AdminFactory.create)()
    user_socket = await connected(requester)
    previous_socket = await joined(assigned_expert, active_request)

    await transfer(active_request, staff)

    for socket in (user_socket, previous_socket):
        update = await receive_until(socket, "request-updated")
        assert (update["request"]["status"], update["request"]["expert"]) == ("REQUESTED", None)
    refused = await ask(
        previous_socket, {"type": "join-request", "request_id": str(active_request.pk)}
    )
    assert refused["code"] == "not_found"
    await user_socket.disconnect()
    await previous_socket.disconnect()
