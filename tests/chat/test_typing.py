"""typing: relayed to the others in the room with the sender's id, never stored."""

import pytest

from chat.models import Message
from tests.helpers.sockets import WAIT, ask, connected, drain, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_typing_reaches_the_other_participant_but_not_the_typist(
    active_request, requester, assigned_expert
):
    user_socket = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)
    await user_socket.send_json_to(
        {"type": "typing", "request_id": str(active_request.pk), "is_typing": True}
    )
    frame = await receive_until(expert_socket, "typing")
    assert frame == {
        "type": "typing",
        "request_id": str(active_request.pk),
        "user_id": str(requester.pk),
        "is_typing": True,
    }
    assert await drain(user_socket) == []
    assert not await Message.objects.filter(request=active_request).aexists()
    await user_socket.disconnect()
    await expert_socket.disconnect()


async def test_typing_without_joining_is_not_joined(active_request, requester):
    socket = await connected(requester)
    answer = await ask(
        socket, {"type": "typing", "request_id": str(active_request.pk), "is_typing": False}
    )
    assert answer["code"] == "not_joined"
    await socket.disconnect()


async def test_a_flood_of_typing_frames_is_thinned_silently(
    active_request, requester, assigned_expert
):
    user_socket = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)
    for n in range(40):
        await user_socket.send_json_to(
            {"type": "typing", "request_id": str(active_request.pk), "is_typing": n % 2 == 0}
        )
    relayed = 0
    while not await expert_socket.receive_nothing(timeout=0.5):
        frame = await expert_socket.receive_json_from(timeout=WAIT)
        relayed += frame["type"] == "typing"
    assert 0 < relayed < 40
    assert await drain(user_socket) == []  # no errors for the dropped ones
    await user_socket.disconnect()
    await expert_socket.disconnect()
