"""Every frame of the protocol, built or parsed by chat.protocol, has exactly the shape its typed
definition (and docs/websocket.md) gives it."""

import json
import typing
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from chat.protocol import client, server

REQUEST_ID = str(uuid.uuid4())
USER_ID = str(uuid.uuid4())
MESSAGE: server.MessageData = {
    "id": 7,
    "request_id": REQUEST_ID,
    "seq": 3,
    "sender": {"id": USER_ID, "name": "Ann", "role": "USER"},
    "content": "Hello",
    "client_id": "c-1",
    "created_at": "2026-11-25T10:00:00Z",
    "attachments": [
        {
            "id": str(uuid.uuid4()),
            "name": "screenshot.png",
            "size": 2048,
            "content_type": "image/png",
            "url": "/api/attachments/00000000-0000-4000-8000-000000000000/download/",
        }
    ],
}
REQUEST: server.RequestData = {
    "id": REQUEST_ID,
    "title": "Printer on fire",
    "description": "",
    "skill": None,
    "status": "ACTIVE",
    "user": {"id": USER_ID, "name": "Ann"},
    "expert": {"id": str(uuid.uuid4()), "name": "Bea"},
    "created_at": "2026-11-25T09:00:00Z",
    "accepted_at": "2026-11-25T09:01:00Z",
    "closed_at": None,
    "last_seq": 3,
    "read_seqs": {"user": 3, "expert": 1},
}

# Each server frame type, built by its one builder, and what it must be.
BUILT: list[tuple[type, Any, dict[str, Any]]] = [
    (
        server.JoinedFrame,
        server.joined_frame(request_id=REQUEST_ID, last_seq=3, ref="r1"),
        {"type": "joined", "request_id": REQUEST_ID, "last_seq": 3, "ref": "r1"},
    ),
    (
        server.LeftFrame,
        server.left_frame(request_id=REQUEST_ID),
        {"type": "left", "request_id": REQUEST_ID},
    ),
    (
        server.NewMessageFrame,
        server.new_message_frame(MESSAGE, ref=5),
        {"type": "new-message", "message": MESSAGE, "ref": 5},
    ),
    (
        server.TypingFrame,
        server.typing_frame(request_id=REQUEST_ID, user_id=USER_ID, is_typing=True),
        {"type": "typing", "request_id": REQUEST_ID, "user_id": USER_ID, "is_typing": True},
    ),
    (
        server.ReadFrame,
        server.read_frame(request_id=REQUEST_ID, user_id=USER_ID, seq=2, ref="m"),
        {"type": "read", "request_id": REQUEST_ID, "user_id": USER_ID, "seq": 2, "ref": "m"},
    ),
    (
        server.RequestUpdatedFrame,
        server.request_updated_frame(REQUEST),
        {"type": "request-updated", "request": REQUEST},
    ),
    (
        server.RequestQueuedFrame,
        server.request_queued_frame(REQUEST),
        {"type": "request-queued", "request": REQUEST},
    ),
    (
        server.RequestTakenFrame,
        server.request_taken_frame(request_id=REQUEST_ID),
        {"type": "request-taken", "request_id": REQUEST_ID},
    ),
    (
        server.PresenceFrame,
        server.presence_frame(
            user_id=USER_ID, is_online=False, last_seen_at=datetime(2026, 11, 25, 10, tzinfo=UTC)
        ),
        {
            "type": "presence",
            "user_id": USER_ID,
            "is_online": False,
            "last_seen_at": "2026-11-25T10:00:00Z",
        },
    ),
    (
        server.AuthenticatedFrame,
        server.authenticated_frame(exp=1_800_000_000, ref="a"),
        {"type": "authenticated", "exp": 1_800_000_000, "ref": "a"},
    ),
    (
        server.ErrorFrame,
        server.error_frame("not_joined", "Join first.", ref=2, request_id=REQUEST_ID),
        {
            "type": "error",
            "code": "not_joined",
            "detail": "Join first.",
            "request_id": REQUEST_ID,
            "ref": 2,
        },
    ),
]


def test_every_server_frame_type_is_built_here():
    assert {frame_type for frame_type, _, _ in BUILT} == set(typing.get_args(server.ServerFrame))


@pytest.mark.parametrize(("frame_type", "built", "expected"), BUILT)
def test_each_server_frame_has_its_documented_shape(frame_type, built, expected):
    assert built == expected
    keys = set(built)
    assert frame_type.__required_keys__ <= keys
    assert keys <= frame_type.__required_keys__ | frame_type.__optional_keys__
    type_hint = typing.get_type_hints(frame_type)["type"]
    assert typing.get_args(type_hint) == (built["type"],)
    json.dumps(built)  # plain JSON, as sent


def test_an_answer_without_a_ref_carries_none():
    assert "ref" not in server.joined_frame(request_id=REQUEST_ID, last_seq=0)
    assert "ref" not in server.error_frame("invalid_payload", "Bad.")
    assert "request_id" not in server.error_frame("invalid_payload", "Bad.")


# One minimal valid frame per client frame type, and what it parses to.
PARSED: list[tuple[dict[str, Any], client.ClientFrame]] = [
    (
        {"type": "join-request", "request_id": REQUEST_ID, "after_seq": 2, "ref": 1},
        client.JoinRequest(request_id=REQUEST_ID, after_seq=2, ref=1),
    ),
    (
        {"type": "leave-request", "requestId": REQUEST_ID},
        client.LeaveRequest(request_id=REQUEST_ID),
    ),
    (
        {"type": "Send-message", "request_id": REQUEST_ID, "content": " hi ", "clientId": "c"},
        client.SendMessage(request_id=REQUEST_ID, content="hi", client_id="c"),
    ),
    (
        {"type": "typing", "request_id": REQUEST_ID, "isTyping": False},
        client.Typing(request_id=REQUEST_ID, is_typing=False),
    ),
    (
        {"type": "read", "requestId": REQUEST_ID, "seq": 0, "ref": 4},
        client.Read(request_id=REQUEST_ID, seq=0, ref=4),
    ),
    ({"type": "authenticate", "token": "t", "ref": "x"}, client.Authenticate(token="t", ref="x")),
]


def test_every_client_frame_type_is_parsed_here():
    assert {type(frame) for _, frame in PARSED} == set(client.CLIENT_FRAMES)


@pytest.mark.parametrize(("sent", "parsed"), PARSED)
def test_each_client_frame_parses_to_its_typed_form(sent, parsed):
    assert client.parse_frame(json.dumps(sent)) == parsed


@pytest.mark.parametrize(("frame_type", "built", "expected"), BUILT)
def test_each_server_frame_is_sent_as_the_json_of_its_dict(frame_type, built, expected):
    assert server.frame_text(built) == json.dumps(expected)


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_a_frame_with_a_number_json_cannot_carry_goes_out_as_a_server_error(number, caplog):
    joined = server.joined_frame(request_id=REQUEST_ID, last_seq=0, ref=number)

    sent = _strict_json(server.frame_text(joined))

    assert sent == {
        "type": "error",
        "code": "server_error",
        "detail": "The server could not write its answer to this frame; retry it.",
    }
    assert "cannot be written as JSON" in caplog.text


def test_a_frame_json_cannot_write_keeps_the_ref_it_answers():
    broken: Any = {**server.authenticated_frame(exp=1, ref="a1"), "exp": uuid.uuid4()}

    sent = _strict_json(server.frame_text(broken))

    assert (sent["type"], sent["code"], sent["ref"]) == ("error", "server_error", "a1")
