"""The AsyncAPI document of the WebSocket: valid AsyncAPI 3.0.0, generated from chat.protocol so
that every frame of both directions is in it exactly once, with the limits the parser enforces.
(tests/e2e/test_asyncapi_frames.py checks the frames of a real conversation against it.)"""

import json
import typing
from collections import Counter
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from chat.models import CLIENT_ID_MAX_CHARS, MESSAGE_ATTACHMENTS_MAX, MESSAGE_MAX_CHARS
from chat.protocol import client, server
from chat.protocol.asyncapi import asyncapi_document, frame_type
from tests.chat.test_protocol_frames import BUILT, REQUEST_ID
from tests.helpers.asyncapi import FrameChecker, message_names, payload_type, specification

DOCUMENT = asyncapi_document()
FRAMES = FrameChecker(DOCUMENT)


def _payload(message: str) -> dict[str, Any]:
    return DOCUMENT["components"]["messages"][message]["payload"]


def _concrete_client_frames() -> set[type[client.ClientFrame]]:
    """Every ClientFrame subclass that declares a frame type of its own (not RoomFrame)."""
    found, pending = set(), [client.ClientFrame]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if "type" in vars(subclass):
                found.add(subclass)
    return found


def _server_frame_types_defined() -> set[str]:
    """The `type` of every TypedDict in chat.protocol.server that has one, in the union or not."""
    return {
        typing.get_args(typing.get_type_hints(value)["type"])[0]
        for value in vars(server).values()
        if typing.is_typeddict(value) and "type" in typing.get_type_hints(value)
    }


def test_document_is_valid_asyncapi_3_0_0():
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
        for error in specification().iter_errors(DOCUMENT)
    ]

    assert errors == []
    assert DOCUMENT["asyncapi"] == "3.0.0"


def test_every_payload_and_component_schema_is_a_valid_json_schema_draft_7():
    schemas = [message["payload"] for message in DOCUMENT["components"]["messages"].values()]
    schemas += DOCUMENT["components"]["schemas"].values()

    for schema in schemas:
        Draft7Validator.check_schema(schema)


def test_every_client_frame_type_is_received_exactly_once():
    documented = Counter(payload_type(DOCUMENT, m) for m in message_names(DOCUMENT, "receive"))

    assert documented == Counter(frame.type for frame in client.CLIENT_FRAMES)
    assert set(documented) == {frame.type for frame in _concrete_client_frames()}


def test_every_server_frame_type_is_sent_exactly_once():
    documented = Counter(payload_type(DOCUMENT, m) for m in message_names(DOCUMENT, "send"))

    assert documented == Counter(map(frame_type, typing.get_args(server.ServerFrame)))
    assert set(documented) == _server_frame_types_defined()


def test_operations_describe_the_server_receiving_client_frames_and_sending_its_own():
    answers = {
        payload_type(DOCUMENT, operation["messages"][0]["$ref"].rsplit("/", 1)[-1]): [
            payload_type(DOCUMENT, reply["$ref"].rsplit("/", 1)[-1])
            for reply in operation["reply"]["messages"]
        ]
        for operation in DOCUMENT["operations"].values()
        if operation["action"] == "receive"
    }

    assert answers == {
        "join-request": ["joined", "error"],
        "leave-request": ["left", "error"],
        "send-message": ["new-message", "error"],
        "typing": ["error"],
        "read": ["read", "error"],
        "authenticate": ["authenticated", "error"],
    }


@pytest.mark.parametrize(
    ("frame", "built", "expected"), BUILT, ids=[f.__name__ for f, _, _ in BUILT]
)
def test_each_frame_the_server_builds_validates_against_its_message(frame, built, expected):
    assert FRAMES.server_errors(built) == []


def test_server_frames_are_closed_objects():
    joined = server.joined_frame(request_id=REQUEST_ID, last_seq=0)

    assert FRAMES.server_errors({**joined, "extra": 1}) != []
    assert FRAMES.server_errors({**joined, "request_id": "not-a-uuid"}) != []


# Client frames in canonical form, and whether the server accepts them: the document must say
# the same as the parser about each (a blank content, refused only after trimming, is the one
# rule a schema cannot state; its description says it).
JOIN = {"type": "join-request", "request_id": REQUEST_ID}
SEND = {"type": "send-message", "request_id": REQUEST_ID, "content": "Hello"}
NO_CONTENT = {"type": "send-message", "request_id": REQUEST_ID}
ID = "6f1c1b38-95a4-4c8e-9d0b-3a0d2f7f3b21"
FIVE_IDS = [f"6f1c1b38-95a4-4c8e-9d0b-3a0d2f7f3b2{n}" for n in range(5)]
AGREEMENT: list[tuple[str, dict[str, Any], bool]] = [
    ("join", JOIN, True),
    ("join after seq 0", {**JOIN, "after_seq": 0}, True),
    ("join after a negative seq", {**JOIN, "after_seq": -1}, False),
    ("join a request id that is not a uuid", {**JOIN, "request_id": "42"}, False),
    ("join without a request id", {"type": "join-request"}, False),
    ("longest ref", {**JOIN, "ref": "r" * server.REF_MAX_CHARS}, True),
    ("ref too long", {**JOIN, "ref": "r" * (server.REF_MAX_CHARS + 1)}, False),
    ("numeric ref", {**JOIN, "ref": 7.5}, True),
    ("boolean ref", {**JOIN, "ref": True}, False),
    ("leave", {"type": "leave-request", "request_id": REQUEST_ID}, True),
    ("longest content", {**SEND, "content": "x" * MESSAGE_MAX_CHARS}, True),
    ("content too long", {**SEND, "content": "x" * (MESSAGE_MAX_CHARS + 1)}, False),
    ("empty content", {**SEND, "content": ""}, False),
    ("no content", {"type": "send-message", "request_id": REQUEST_ID}, False),
    ("attachments without content", {**NO_CONTENT, "attachment_ids": [REQUEST_ID]}, True),
    ("attachments and empty content", {**SEND, "content": "", "attachment_ids": [ID]}, True),
    ("empty attachment list, no content", {**NO_CONTENT, "attachment_ids": []}, False),
    ("five attachments", {**SEND, "attachment_ids": FIVE_IDS}, True),
    ("six attachments", {**SEND, "attachment_ids": [*FIVE_IDS, REQUEST_ID]}, False),
    ("an attachment twice", {**SEND, "attachment_ids": [ID, ID]}, False),
    ("an attachment id that is not a uuid", {**SEND, "attachment_ids": ["42"]}, False),
    ("attachment ids not a list", {**SEND, "attachment_ids": ID}, False),
    ("longest client id", {**SEND, "client_id": "c" * CLIENT_ID_MAX_CHARS}, True),
    ("client id too long", {**SEND, "client_id": "c" * (CLIENT_ID_MAX_CHARS + 1)}, False),
    ("empty client id", {**SEND, "client_id": ""}, False),
    ("typing", {"type": "typing", "request_id": REQUEST_ID, "is_typing": True}, True),
    ("typing not a boolean", {"type": "typing", "request_id": REQUEST_ID, "is_typing": 1}, False),
    ("read", {"type": "read", "request_id": REQUEST_ID, "seq": 0}, True),
    ("read far ahead", {"type": "read", "request_id": REQUEST_ID, "seq": 2**40}, True),
    ("read without a seq", {"type": "read", "request_id": REQUEST_ID}, False),
    ("read a negative seq", {"type": "read", "request_id": REQUEST_ID, "seq": -1}, False),
    ("read a fractional seq", {"type": "read", "request_id": REQUEST_ID, "seq": 1.5}, False),
    ("authenticate", {"type": "authenticate", "token": "eyJ"}, True),
    ("authenticate without a token", {"type": "authenticate", "token": ""}, False),
]


def _parses(frame: dict[str, Any]) -> bool:
    try:
        client.parse_frame(json.dumps(frame))
    except client.FrameError:
        return False
    return True


@pytest.mark.parametrize(("case", "frame", "accepted"), AGREEMENT, ids=[c for c, _, _ in AGREEMENT])
def test_document_and_parser_agree_on_client_frames(case, frame, accepted):
    assert _parses(frame) is accepted
    assert (FRAMES.client_errors(frame) == []) is accepted


def test_limits_are_the_ones_the_code_defines():
    send = _payload("SendMessage")["properties"]
    join = _payload("JoinRequest")["properties"]
    string_ref = _payload("JoinRequest")["properties"]["ref"]["anyOf"][0]

    assert send["content"]["maxLength"] == MESSAGE_MAX_CHARS
    assert _payload("SendMessage")["anyOf"][0]["properties"]["content"]["minLength"] == 1
    assert send["attachment_ids"]["maxItems"] == MESSAGE_ATTACHMENTS_MAX
    assert send["attachment_ids"]["items"]["format"] == "uuid"
    assert send["client_id"]["maxLength"] == CLIENT_ID_MAX_CHARS
    assert string_ref == {"type": "string", "maxLength": server.REF_MAX_CHARS}
    assert join["request_id"]["format"] == "uuid"
    assert join["after_seq"]["minimum"] == 0


def test_descriptions_come_from_the_frame_docstrings():
    frames: list[Any] = [*client.CLIENT_FRAMES, *typing.get_args(server.ServerFrame)]

    for frame in frames:
        description = DOCUMENT["components"]["messages"][frame.__name__]["description"]
        assert description.split() == frame.__doc__.split()


def test_node_service_aliases_are_named():
    send = _payload("SendMessage")["properties"]

    assert "`Send-message`" in send["type"]["description"]
    for field, alias in client.FIELD_ALIASES.items():
        described = [
            payload["properties"][field]["description"]
            for payload in map(_payload, (frame.__name__ for frame in client.CLIENT_FRAMES))
            if field in payload["properties"]
        ]
        assert described
        assert all(f"`{alias}`" in description for description in described)


def test_every_error_code_is_explained():
    codes = typing.get_args(server.ErrorCode)
    code = _payload("ErrorFrame")["properties"]["code"]

    assert set(server.ERROR_MEANINGS) == set(codes)
    assert code["enum"] == list(codes)
    assert all(f"`{each}`:" in code["description"] for each in codes)


def test_handshake_and_close_codes_are_described():
    channel = DOCUMENT["channels"]["socket"]
    schemes = DOCUMENT["components"]["securitySchemes"]

    assert channel["address"] == "/ws/"
    assert "HTTP 403" in channel["description"]
    assert "`1009`" in channel["description"]
    assert "`4001`" in channel["description"]
    assert {(scheme["type"], scheme.get("in")) for scheme in schemes.values()} == {
        ("http", None),
        ("httpApiKey", "header"),
        ("httpApiKey", "query"),
    }


def test_info_carries_the_api_version(settings):
    assert DOCUMENT["info"]["title"] == "Expert Support WebSocket"
    assert DOCUMENT["info"]["version"] == settings.SPECTACULAR_SETTINGS["VERSION"]


def test_document_is_served_as_json_and_yaml_to_anyone(client):
    as_json = client.get("/api/asyncapi.json", HTTP_AUTHORIZATION="Bearer not-a-token")
    as_yaml = client.get("/api/asyncapi.yaml")

    assert as_json.status_code == 200
    assert as_json["Content-Type"] == "application/json"
    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/yaml")
    document = as_json.json()
    assert yaml.safe_load(as_yaml.content) == document
    assert document["servers"]["expert-support"] == {
        **DOCUMENT["servers"]["expert-support"],
        "host": "testserver",
    }
    assert {**document, "servers": DOCUMENT["servers"]} == DOCUMENT


def test_document_answers_other_methods_with_json_405(client):
    response = client.post("/api/asyncapi.yaml")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
