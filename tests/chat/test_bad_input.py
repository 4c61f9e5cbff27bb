"""Bad frames get an error frame and the socket stays open; oversized ones close it (1009)."""

import json

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from accounts.models import User
from tests.helpers.sockets import WAIT, ask, connected

pytestmark = pytest.mark.django_db(transaction=True)

ROOM = "3f1c2b4e-0000-4000-8000-000000000000"


async def still_open(socket) -> None:
    answer = await ask(
        socket, {"type": "leave-request", "request_id": "3f1c2b4e-0000-4000-8000-000000000000"}
    )
    assert answer["code"] == "not_joined"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{not json", "invalid_payload"),
        ("[1, 2]", "invalid_payload"),
        ('"join-request"', "invalid_payload"),
        ("{}", "invalid_payload"),
        ('{"type": 5}', "invalid_payload"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "join-request"}', "invalid_payload"),
        ('{"type": "join-request", "request_id": "nope"}', "invalid_payload"),
        ('{"type": "join-request", "request_id": 12}', "invalid_payload"),
        (
            '{"type": "typing", "request_id": "3f1c2b4e-0000-4000-8000-000000000000"}',
            "invalid_payload",
        ),
        ('{"type": "authenticate"}', "invalid_payload"),
        (
            json.dumps({"type": "join-request", "request_id": ROOM, "after_seq": -1}),
            "invalid_payload",
        ),
    ],
)
async def test_a_bad_frame_is_answered_with_an_error_and_the_socket_stays_open(user, text, code):
    socket = await connected(user)
    await socket.send_to(text_data=text)
    answer = await socket.receive_json_from(timeout=WAIT)
    assert answer["type"] == "error"
    assert answer["code"] == code
    assert answer["detail"]
    await still_open(socket)
    await socket.disconnect()


def _send(**fields) -> str:
    # ensure_ascii (the default) writes a lone surrogate as a \\udxxx escape: valid UTF-8 on the
    # wire, as a real client would have to send it.
    return json.dumps({"type": "send-message", "request_id": ROOM, "content": "hi", **fields})


# Frames a client can send that once crashed the frame parser or got `server_error` ("retry
# it"), so a client retried them forever. Each is refused as invalid_payload now.
HOSTILE = {
    "nested-arrays": "[" * 5000 + "]" * 5000,
    "nested-objects": '{"a":' * 5000 + "1" + "}" * 5000,
    "nested-in-a-field": json.dumps({"type": "dance"})[:-1]
    + ', "x": '
    + "[" * 5000
    + "]" * 5000
    + "}",
    "nul-in-content": _send(content="hi\x00there"),
    "lone-surrogate-in-content": _send(content="hi \ud800"),
    "nul-in-client-id": _send(client_id="c\x00"),
    "lone-surrogate-in-client-id": _send(client_id="\udfff"),
    "nul-in-token": json.dumps({"type": "authenticate", "token": "eyJ\x00"}),
    "lone-surrogate-in-token": json.dumps({"type": "authenticate", "token": "\udbff"}),
    "nul-in-ref": _send(ref="r\x00"),
    "lone-surrogate-in-ref": _send(ref="\ud83d"),
    "nul-in-type": json.dumps({"type": "send\x00message"}),
    "lone-surrogate-in-type": json.dumps({"type": "\ud800"}),
    "nan-ref": _send(ref=float("nan")),
    "infinite-ref": _send(ref=float("inf")),
    "negative-infinite-ref": _send(ref=float("-inf")),
    "overflowing-ref": '{"type": "dance", "ref": 1e400}',
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
async def test_a_hostile_frame_is_invalid_payload_and_the_socket_stays_open_and_online(user, text):
    socket = await connected(user)
    await socket.send_to(text_data=text)
    output = await socket.receive_output(timeout=WAIT)
    assert output["type"] == "websocket.send", output
    # Strict JSON: NaN or Infinity would be refused by a browser's JSON.parse.
    answer = json.loads(output["text"], parse_constant=_not_json)
    assert answer["type"] == "error"
    assert answer["code"] == "invalid_payload"
    assert "ref" not in answer  # none of these refs can be echoed as it came
    await still_open(socket)
    assert await _is_online(user)
    await socket.disconnect()
    assert not await _is_online(user)


def _not_json(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


@database_sync_to_async
def _is_online(user) -> bool:
    return User.objects.get(pk=user.pk).is_online


async def test_the_error_echoes_the_frames_ref(user):
    socket = await connected(user)
    answer = await ask(socket, {"type": "dance", "ref": 41})
    assert (answer["code"], answer["ref"]) == ("unknown_type", 41)
    await socket.disconnect()


async def test_a_binary_frame_is_invalid_payload(user):
    socket = await connected(user)
    await socket.send_to(bytes_data=b"\x00\x01")
    answer = await socket.receive_json_from(timeout=WAIT)
    assert answer["code"] == "invalid_payload"
    await still_open(socket)
    await socket.disconnect()


async def test_a_frame_over_64_kib_closes_the_socket_with_1009(user):
    socket = await connected(user)
    padding = "é" * (settings.WS_MAX_FRAME_BYTES // 2)  # 2 bytes each in UTF-8: just over
    await socket.send_to(
        text_data=json.dumps({"type": "typing", "pad": padding}, ensure_ascii=False)
    )
    assert await socket.receive_output(timeout=WAIT) == {"type": "websocket.close", "code": 1009}
    await socket.disconnect()


async def test_a_frame_just_under_the_limit_is_parsed(user):
    socket = await connected(user)
    frame = json.dumps({"type": "dance", "pad": "x" * (settings.WS_MAX_FRAME_BYTES - 100)})
    await socket.send_to(text_data=frame)
    answer = await socket.receive_json_from(timeout=WAIT)
    assert answer["code"] == "unknown_type"
    await socket.disconnect()
