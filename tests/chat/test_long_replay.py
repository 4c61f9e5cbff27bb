"""`join-request` far behind: `joined` after the first batch, the rest of the replay after it,
in order and once each (live messages included); past WS_REPLAY_MAX, a clear refusal."""

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from chat.models import Message
from chat.selectors import REPLAY_BATCH
from support.models import SupportRequest
from tests.helpers.sockets import WAIT, ask, connected, joined

pytestmark = pytest.mark.django_db(transaction=True)

BACKLOG = REPLAY_BATCH * 2 + 37


@database_sync_to_async
def store_conversation(request: SupportRequest, count: int) -> None:
    Message.objects.bulk_create(
        Message(request=request, sender=request.requester, seq=seq, content=f"m{seq}")
        for seq in range(1, count + 1)
    )
    SupportRequest.objects.filter(pk=request.pk).update(last_seq=count)


async def frames_until_seq(socket, last: int) -> list[dict]:
    frames: list[dict] = []
    while not frames or frames[-1].get("message", {}).get("seq") != last:
        frame = await socket.receive_json_from(timeout=WAIT)
        if frame["type"] in ("new-message", "joined"):
            frames.append(frame)
    return frames


def seqs(frames: list[dict]) -> list[int]:
    return [frame["message"]["seq"] for frame in frames if frame["type"] == "new-message"]


async def test_joined_comes_after_the_first_batch_and_the_rest_follows_in_order(
    active_request, requester
):
    await store_conversation(active_request, BACKLOG)
    socket = await connected(requester)
    request_id = str(active_request.pk)

    await socket.send_json_to({"type": "join-request", "request_id": request_id, "after_seq": 0})
    frames = await frames_until_seq(socket, BACKLOG)

    kinds = [frame["type"] for frame in frames]
    assert kinds.index("joined") == REPLAY_BATCH
    assert frames[REPLAY_BATCH] == {
        "type": "joined",
        "request_id": request_id,
        "last_seq": REPLAY_BATCH,
        "backlog": BACKLOG - REPLAY_BATCH,
    }
    assert seqs(frames) == list(range(1, BACKLOG + 1))
    await socket.disconnect()


async def test_a_message_sent_during_the_replay_comes_after_it_once(active_request, requester):
    await store_conversation(active_request, BACKLOG)
    expert_socket = await joined(active_request.expert, active_request)
    socket = await connected(requester)
    request_id = str(active_request.pk)

    await socket.send_json_to({"type": "join-request", "request_id": request_id, "after_seq": 0})
    ack = await ask(
        expert_socket, {"type": "send-message", "request_id": request_id, "content": "new"}
    )
    assert ack["type"] == "new-message", ack
    frames = await frames_until_seq(socket, BACKLOG + 1)

    assert seqs(frames) == list(range(1, BACKLOG + 2))
    assert frames[-1]["message"]["content"] == "new"
    await socket.disconnect()
    await expert_socket.disconnect()


async def test_the_socket_answers_other_frames_while_the_backlog_streams(active_request, requester):
    await store_conversation(active_request, BACKLOG)
    socket = await connected(requester)
    request_id = str(active_request.pk)

    await socket.send_json_to({"type": "join-request", "request_id": request_id, "after_seq": 0})
    await socket.send_json_to(
        {"type": "send-message", "request_id": request_id, "content": "mine", "ref": "s"}
    )
    frames = await frames_until_seq(socket, BACKLOG + 1)

    assert seqs(frames) == list(range(1, BACKLOG + 2))
    assert frames[-1]["ref"] == "s"
    await socket.disconnect()


@override_settings(WS_REPLAY_MAX=100)
async def test_a_backlog_past_the_cap_is_refused_with_what_to_do(active_request, requester):
    await store_conversation(active_request, 150)
    socket = await connected(requester)
    request_id = str(active_request.pk)

    refused = await ask(
        socket, {"type": "join-request", "request_id": request_id, "after_seq": 10, "ref": 1}
    )
    within = await ask(
        socket, {"type": "join-request", "request_id": request_id, "after_seq": 50, "ref": 2}
    )

    assert refused["type"] == "error"
    assert refused["code"] == "backlog_too_long"
    assert refused["ref"] == 1
    assert "messages/?after=10" in refused["detail"]
    assert within["type"] == "new-message"
    assert within["message"]["seq"] == 51
    await socket.disconnect()


@override_settings(WS_REPLAY_MAX=100)
async def test_a_refused_join_leaves_the_socket_out_of_the_room(active_request, requester):
    await store_conversation(active_request, 150)
    socket = await connected(requester)
    request_id = str(active_request.pk)

    await ask(socket, {"type": "join-request", "request_id": request_id, "after_seq": 0})
    answer = await ask(socket, {"type": "send-message", "request_id": request_id, "content": "x"})

    assert answer["code"] == "not_joined"
    await socket.disconnect()
