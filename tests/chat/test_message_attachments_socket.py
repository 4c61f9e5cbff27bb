"""send-message with attachment_ids over the socket: the room hears the message with its
attachments, a replay carries them too, and a send that may not attach them stores nothing."""

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from chat.attachments.services import attachment_upload
from chat.models import Attachment, Message
from tests.helpers.attachments import PNG
from tests.helpers.sockets import ask, connected, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def uploaded(request, uploader) -> str:
    attachment = attachment_upload(
        request_id=request.pk, uploader=uploader, file=SimpleUploadedFile("shot.png", PNG)
    )
    return str(attachment.pk)


@database_sync_to_async
def stored(request) -> list[tuple[int, str, list[str]]]:
    return [
        (message.seq, message.content, [str(a.pk) for a in message.attachments.all()])
        for message in Message.objects.filter(request=request).prefetch_related("attachments")
    ]


@database_sync_to_async
def unattached(attachment_id: str) -> bool:
    return Attachment.objects.get(pk=attachment_id).message_id is None


def send(request, **fields) -> dict:
    return {"type": "send-message", "request_id": str(request.pk), **fields}


async def test_the_room_hears_a_message_with_its_attachments(
    active_request, requester, assigned_expert
):
    attachment_id = await uploaded(active_request, requester)
    user_socket = await joined(requester, active_request)
    expert_socket = await joined(assigned_expert, active_request)

    ack = await ask(user_socket, send(active_request, attachment_ids=[attachment_id], ref="a"))

    assert ack["type"] == "new-message", ack
    assert ack["ref"] == "a"
    message = ack["message"]
    assert message["content"] == ""
    assert message["attachments"] == [
        {
            "id": attachment_id,
            "name": "shot.png",
            "size": len(PNG),
            "content_type": "image/png",
            "url": f"/api/attachments/{attachment_id}/download/",
        }
    ]
    heard = await receive_until(expert_socket, "new-message")
    assert heard["message"] == message
    assert await stored(active_request) == [(1, "", [attachment_id])]
    await user_socket.disconnect()
    await expert_socket.disconnect()


async def test_a_replay_after_seq_carries_the_attachments(active_request, requester):
    attachment_id = await uploaded(active_request, requester)
    socket = await joined(requester, active_request)
    await ask(socket, send(active_request, content="see", attachment_ids=[attachment_id]))
    await socket.disconnect()

    again = await connected(requester)
    await again.send_json_to(
        {"type": "join-request", "request_id": str(active_request.pk), "after_seq": 0}
    )
    replayed = await receive_until(again, "new-message")

    assert replayed["message"]["attachments"][0]["id"] == attachment_id
    await again.disconnect()


async def test_someone_elses_attachment_is_invalid_payload_and_nothing_is_stored(
    active_request, requester, assigned_expert
):
    theirs = await uploaded(active_request, assigned_expert)
    socket = await joined(requester, active_request)

    answer = await ask(socket, send(active_request, content="x", attachment_ids=[theirs], ref=1))

    assert answer["type"] == "error"
    assert answer["code"] == "invalid_payload"
    assert answer["ref"] == 1
    assert await stored(active_request) == []
    assert await unattached(theirs)
    await socket.disconnect()


@pytest.mark.parametrize(
    "ids",
    [["not-a-uuid"], "6f1c1b38-95a4-4c8e-9d0b-3a0d2f7f3b21", [1], ["dup", "dup"], ["x"] * 6],
)
async def test_malformed_attachment_ids_are_invalid_payload(active_request, requester, ids):
    if ids == ["dup", "dup"]:
        ids = [await uploaded(active_request, requester)] * 2
    socket = await joined(requester, active_request)

    answer = await ask(socket, send(active_request, content="x", attachment_ids=ids))

    assert answer["code"] == "invalid_payload"
    assert await stored(active_request) == []
    await socket.disconnect()


async def test_without_attachments_content_is_still_required(active_request, requester):
    socket = await joined(requester, active_request)

    for frame in (send(active_request), send(active_request, content=" ", attachment_ids=[])):
        answer = await ask(socket, frame)
        assert answer["code"] == "invalid_payload"
    assert await stored(active_request) == []
    await socket.disconnect()


async def test_a_resend_with_the_same_client_id_is_answered_with_the_original(
    active_request, requester
):
    attachment_id = await uploaded(active_request, requester)
    socket = await joined(requester, active_request)
    frame = send(active_request, attachment_ids=[attachment_id], client_id="c-1")

    first = await ask(socket, frame)
    again = await ask(socket, frame)

    assert again["message"] == first["message"]
    assert again["message"]["attachments"][0]["id"] == attachment_id
    assert len(await stored(active_request)) == 1
    await socket.disconnect()
