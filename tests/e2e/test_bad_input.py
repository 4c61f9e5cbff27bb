"""What a real server does with frames it cannot use: answer with an error, or close when the
frame is too big to read at all — never store half a message or fall over."""

import json

import pytest

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, active_pair, in_db

pytestmark = E2E

KIB = 1024


def _stored_count(request_id) -> int:
    from chat.models import Message

    return Message.objects.filter(request_id=request_id).count()


async def _assert_still_serving(socket: Socket, request_id) -> None:
    await socket.send({"type": "join-request", "request_id": str(request_id), "ref": "alive"})
    await socket.expect("joined", ref="alive")


async def test_frame_over_64_kib_closes_the_socket_with_1009(shared_server):
    pair = await active_pair()
    socket = await Socket.open(shared_server, pair.user_token)
    await socket.join(pair.request_id)

    await socket.say(pair.request_id, "x" * (70 * KIB))

    assert await socket.wait_closed(timeout=5) == 1009
    assert await in_db(_stored_count, pair.request_id) == 0


async def test_frame_just_under_64_kib_gets_an_error_for_long_content_and_stays_open(shared_server):
    pair = await active_pair()
    socket = await Socket.open(shared_server, pair.user_token)
    try:
        await socket.join(pair.request_id)
        frame = {"type": "send-message", "request_id": str(pair.request_id), "ref": "big"}
        frame["content"] = "x" * (64 * KIB - len(json.dumps(frame)) - 200)
        assert len(json.dumps(frame)) < 64 * KIB

        await socket.send(frame)
        error = await socket.expect("error", ref="big")

        assert error["code"] == "invalid_payload"
        assert socket.is_open
        await _assert_still_serving(socket, pair.request_id)
        assert await in_db(_stored_count, pair.request_id) == 0
    finally:
        await socket.close()


@pytest.mark.parametrize(
    ("raw", "codes"),
    [
        ('{"type": "send-message", "content": ', {"invalid_payload"}),
        ("[1, 2, 3]", {"invalid_payload"}),
        ('"just a string"', {"invalid_payload"}),
        (b"\x00\x01binary", {"invalid_payload"}),
        # SPEC names no code for a frame without a type; either reading is fair.
        ('{"content": "no type"}', {"invalid_payload", "unknown_type"}),
        ('{"type": "launch-rockets"}', {"unknown_type"}),
        ('{"type": "send-message", "content": "no request"}', {"invalid_payload"}),
    ],
    ids=[
        "invalid-json",
        "json-array",
        "json-string",
        "binary-frame",
        "missing-type",
        "unknown-type",
        "missing-request-id",
    ],
)
async def test_unusable_frame_gets_an_error_frame_and_the_socket_stays_open(
    shared_server, raw, codes
):
    pair = await active_pair()
    socket = await Socket.open(shared_server, pair.user_token)
    try:
        await socket.send_raw(raw)
        error = await socket.expect("error")

        assert error["code"] in codes
        assert error["detail"]
        await _assert_still_serving(socket, pair.request_id)
    finally:
        await socket.close()


def _is_online(user_id) -> bool:
    from accounts.models import User

    return User.objects.get(pk=user_id).is_online


async def test_hostile_frames_get_invalid_payload_and_never_take_the_socket_down(shared_server):
    pair = await active_pair()
    expert = await Socket.open(shared_server, pair.expert_token)
    socket = await Socket.open(shared_server, pair.user_token)
    try:
        await socket.join(pair.request_id)
        send = {"type": "send-message", "request_id": str(pair.request_id), "content": "hi"}
        hostile = [
            "[" * 5000 + "]" * 5000,  # once a RecursionError: close 1011, user left online
            json.dumps({**send, "content": "NUL \x00 inside"}),
            json.dumps({**send, "client_id": "lone \ud800"}),
            json.dumps({**send, "ref": float("nan")}),
            '{"type": "send-message", "ref": 1e400}',
        ]
        for raw in hostile:
            await socket.send_raw(raw)
            error = await socket.expect("error")
            assert (error["code"], "ref" in error) == ("invalid_payload", False)

        assert socket.is_open
        await _assert_still_serving(socket, pair.request_id)
        assert await in_db(_stored_count, pair.request_id) == 0
        assert await in_db(_is_online, pair.user_id)
        await socket.close()
        went_offline = await expert.expect("presence", user_id=str(pair.user_id), is_online=False)
        assert went_offline["last_seen_at"]
    finally:
        await socket.close()
        await expert.close()


@pytest.mark.parametrize("content", ["", "   \n\t "], ids=["empty", "blank"])
async def test_empty_content_gets_invalid_payload_and_nothing_is_stored(shared_server, content):
    pair = await active_pair()
    socket = await Socket.open(shared_server, pair.user_token)
    try:
        await socket.join(pair.request_id)
        await socket.send(
            {"type": "send-message", "request_id": str(pair.request_id), "content": content}
        )
        error = await socket.expect("error")

        assert error["code"] == "invalid_payload"
        assert await in_db(_stored_count, pair.request_id) == 0
    finally:
        await socket.close()


async def test_sending_without_joining_gets_not_joined(shared_server):
    pair = await active_pair()
    socket = await Socket.open(shared_server, pair.user_token)
    try:
        frame = {"type": "send-message", "request_id": str(pair.request_id), "content": "hi"}
        await socket.send({**frame, "ref": "early"})
        error = await socket.expect("error", ref="early")

        assert error["code"] == "not_joined"
        assert error.get("request_id") == str(pair.request_id)
        assert await in_db(_stored_count, pair.request_id) == 0
    finally:
        await socket.close()


async def test_a_burst_over_the_rate_limit_is_refused_and_refused_sends_store_nothing(
    shared_server,
):
    pair = await active_pair()
    socket = await Socket.open(shared_server, pair.user_token)
    try:
        await socket.join(pair.request_id)
        attempts = 40
        for number in range(attempts):
            await socket.say(pair.request_id, f"spam {number}")
        await socket.send({"type": "no-such-frame", "ref": "barrier"})
        await socket.expect("error", ref="barrier", timeout=10)
        # Refusals are direct answers, all in by now; acks travel through the channel layer.
        refused = [f for f in socket.frames if f.get("code") == "rate_limited"]
        acked = await socket.wait_for_messages(pair.request_id, attempts - len(refused), timeout=10)

        assert len(acked) + len(refused) == attempts
        assert len(acked) >= 20  # the burst
        assert refused
        assert await in_db(_stored_count, pair.request_id) == len(acked)
        assert [message["seq"] for message in acked] == list(range(1, len(acked) + 1))
    finally:
        await socket.close()
