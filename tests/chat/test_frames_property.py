"""Whatever a client sends, the socket survives, answers in the protocol, and stores only what it
accepted: properties checked by Hypothesis on generated frames, valid and hostile alike.

The frames: the five client frames with valid fields, then mutated (a field of the wrong type
or shape, removed, under its Node-service alias, extra fields), frames of unknown types, JSON
of any shape, nesting far deeper than json can read, NaN and infinite numbers, NUL and lone
surrogates in every string, over-long content, text that is not JSON, binary frames. None is
over the 64 KiB frame limit (close 1009 is tested in test_bad_input.py).

Examples are derandomized (the same frames every run) and the database is not saved, so CI
runs the same bounded set each time.
"""

import json
import logging
import math
import operator
from collections.abc import Iterable
from enum import Enum
from typing import Any
from uuid import UUID

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from chat.models import CLIENT_ID_MAX_CHARS, MESSAGE_MAX_CHARS, Message
from chat.protocol.asyncapi import asyncapi_document
from chat.protocol.client import FIELD_ALIASES, ClientFrame, FrameError, parse_frame
from support.models import SupportRequest
from tests.factories import ActiveRequestFactory
from tests.helpers.api import access_token_for
from tests.helpers.asyncapi import FrameChecker
from tests.helpers.sockets import WAIT, connected

# The ACTIVE request every example talks about, and one that does not exist.
ROOM = "6f0e4a52-3c1b-4d7e-9a2f-0c8d1e5b7a90"
NO_ROOM = "0b9d5c1e-8f2a-4e6b-b3c7-5a1d9e0f2c48"
# The last frame of every example, for a room never joined: its answer (not_joined) comes after
# the answers to everything sent before it, and shows the socket still works.
PROBE_REF = "probe-57e3c0d1a9b24f68"
PROBE = {"type": "leave-request", "request_id": NO_ROOM, "ref": PROBE_REF}

FRAMES = FrameChecker(asyncapi_document())


class Token(Enum):
    """Stands for a real access token, filled in when a frame is sent."""

    OF_THE_USER = "the socket's user"
    OF_ANOTHER_USER = "another user"


# --- Strategies -----------------------------------------------------------------------------
Json = Any  # a value json.dumps can write (a Token included, see `default=`)
Frame = tuple[str, Any]  # ("json", value), ("text", str) or ("bytes", bytes), as sent

# Any code point, unpaired surrogates included (json.dumps writes them as \udxxx escapes, as a
# client must to get one into a text frame).
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)
UNSTORABLE = st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff", "\udbff\x00"])
STRINGS = ANY_TEXT | UNSTORABLE
NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
NUMBERS = st.integers() | st.integers(min_value=2**64) | st.floats() | NOT_FINITE
SCALARS = st.none() | st.booleans() | NUMBERS | STRINGS
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)

# Fields as a well-behaved client fills them in (a request id in any spelling UUID() reads)...
GOOD_ROOMS = st.sampled_from([ROOM, ROOM.upper(), "{" + ROOM + "}", f"urn:uuid:{ROOM}"])
GOOD_REFS = st.integers(-(10**6), 10**6) | st.text(st.characters(codec="ascii"), max_size=8)
GOOD_CONTENT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=30
).filter(str.strip)
# Fresh ones, and a few that repeat (a repeated send stores nothing and gets the original).
GOOD_CLIENT_IDS = st.uuids().map(str) | st.sampled_from(["c-1", "c" * CLIENT_ID_MAX_CHARS])
# ...and as anyone may: wrong, out of range, unstorable, non-finite.
ROOMS = GOOD_ROOMS | st.just(NO_ROOM) | STRINGS
REFS = GOOD_REFS | STRINGS | NUMBERS
LONG_CONTENT = st.builds(  # around the limit, in characters of 1 to 4 UTF-8 bytes, or blank
    operator.mul, st.sampled_from(["x", "é", "😀", " "]), st.integers(3995, 4005)
)
CONTENT = GOOD_CONTENT | LONG_CONTENT | STRINGS
CLIENT_IDS = GOOD_CLIENT_IDS | STRINGS


def _frames(
    *,
    rooms: st.SearchStrategy[Json],
    refs: st.SearchStrategy[Json],
    content: st.SearchStrategy[Json],
    client_ids: st.SearchStrategy[Json],
    tokens: st.SearchStrategy[Json],
) -> st.SearchStrategy[dict[str, Json]]:
    """The five client frames with fields drawn from these; send-message twice as often."""

    def frame(
        frame_type: st.SearchStrategy[str], required: dict[str, Any], **optional: Any
    ) -> st.SearchStrategy[dict[str, Json]]:
        return st.fixed_dictionaries(
            {"type": frame_type, **required}, optional={"ref": refs, **optional}
        )

    send = frame(
        st.sampled_from(["send-message", "Send-message"]),
        {"request_id": rooms, "content": content},
        client_id=client_ids,
    )
    return st.one_of(
        send,
        send,
        frame(st.just("join-request"), {"request_id": rooms}, after_seq=st.integers(0, 10**6)),
        frame(st.just("leave-request"), {"request_id": rooms}),
        frame(st.just("typing"), {"request_id": rooms, "is_typing": st.booleans()}),
        frame(st.just("authenticate"), {"token": tokens}),
    )


VALID = _frames(
    rooms=GOOD_ROOMS,
    refs=GOOD_REFS,
    content=GOOD_CONTENT,
    client_ids=GOOD_CLIENT_IDS,
    tokens=st.just(Token.OF_THE_USER),
)
ANYHOW = _frames(
    rooms=ROOMS,
    refs=REFS,
    content=CONTENT,
    client_ids=CLIENT_IDS,
    tokens=st.sampled_from(Token) | STRINGS,
)


def _mutations(frame: dict[str, Json]) -> st.SearchStrategy[Json]:
    """The frame as it is, under the Node service's names, or with one field of any other
    value, or missing, or with extra fields."""
    fields = sorted(frame)
    aliased = {FIELD_ALIASES.get(key, key): value for key, value in frame.items()}
    return st.one_of(
        st.just(frame),
        st.just(aliased),
        st.builds(lambda key, value: {**frame, key: value}, st.sampled_from(fields), ANY_JSON),
        st.sampled_from(fields).map(lambda key: {k: v for k, v in frame.items() if k != key}),
        st.dictionaries(ANY_TEXT, ANY_JSON, max_size=2).map(lambda extra: {**extra, **frame}),
    )


def _nested(depth: int, *, inside: str) -> str:
    if inside == "object":
        return '{"a":' * depth + "1" + "}" * depth
    return "[" * depth + "]" * depth


HOSTILE_JSON = st.one_of(
    ANYHOW.flatmap(_mutations),
    st.fixed_dictionaries({"type": STRINGS}, optional={"ref": REFS, "request_id": ROOMS}),
    ANY_JSON,
)
HOSTILE_TEXT = st.one_of(
    # Nesting past what json can read: arrays, objects, and inside a field of a frame.
    st.builds(_nested, st.integers(1, 10_000), inside=st.sampled_from(["array", "object"])),
    st.integers(900, 10_000).map(
        lambda depth: '{"type": "typing", "x": ' + "[" * depth + "]" * depth + "}"
    ),
    # Numbers json reads as infinite, and the literals it reads that JSON does not have.
    st.builds(
        '{{"type": "send-message", "request_id": "{}", "content": "hi", "{}": {}}}'.format,
        st.just(ROOM),
        st.sampled_from(["ref", "after_seq", "content", "client_id"]),
        st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "-Infinity"]),
    ),
    # Not JSON. Text frames are UTF-8 on the wire: no raw surrogates.
    st.text(st.characters(codec="utf-8"), max_size=40),
)


def _as_json(value: Json) -> Frame:
    return ("json", value)


# Valid frames are two in five, so that examples do store messages.
ANY_FRAME: st.SearchStrategy[Frame] = st.one_of(
    VALID.map(_as_json),
    VALID.map(_as_json),
    HOSTILE_JSON.map(_as_json),
    HOSTILE_TEXT.map(lambda text: ("text", text)),
    st.binary(max_size=64).map(lambda data: ("bytes", data)),
)


# --- The properties -------------------------------------------------------------------------
@pytest.fixture
def room(transactional_db: None) -> SupportRequest:
    return ActiveRequestFactory.create(id=ROOM)


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    # The request, its participants and the log capture are shared by every example on purpose:
    # messages pile up across examples, and seqs must stay gap-free all the same.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(frames=st.lists(ANY_FRAME, min_size=1, max_size=6))
async def test_any_frames_keep_the_socket_open_answer_in_protocol_and_store_only_what_was_accepted(
    room: SupportRequest, caplog: pytest.LogCaptureFixture, frames: list[Frame]
) -> None:
    assert room.expert is not None
    tokens = await _tokens(room.requester, room.expert)
    before = await _stored_ids()
    caplog.clear()

    socket = await connected(room.requester)
    sent_texts = []
    try:
        await socket.send_json_to({"type": "join-request", "request_id": ROOM})
        for kind, value in frames:
            if kind == "bytes":
                await socket.send_input({"type": "websocket.receive", "bytes": value})
                continue
            text = json.dumps(value, default=tokens.__getitem__) if kind == "json" else value
            assert len(text.encode()) <= django_settings.WS_MAX_FRAME_BYTES
            sent_texts.append(text)
            # send_input, not send_to, which refuses an empty frame (a client may send one).
            await socket.send_input({"type": "websocket.receive", "text": text})
        await socket.send_json_to(PROBE)
        answers = await _answers_until_the_probe(socket)
    finally:
        # Also when an assertion failed: a socket left open would keep the user online in the
        # examples Hypothesis runs next.
        await socket.disconnect()

    for answer in answers:
        assert FRAMES.server_errors(answer) == [], answer
        assert answer.get("code") != "server_error", answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not await _is_online(room.requester)
    await _assert_stored_only_what_was_accepted(before, answers, sent_texts)


async def _answers_until_the_probe(socket: WebsocketCommunicator) -> list[dict[str, Any]]:
    """Every frame the server sent, up to the probe's answer; each one strict JSON, none of
    them a close."""
    answers = []
    while True:
        output = await socket.receive_output(timeout=WAIT)
        assert output["type"] == "websocket.send", f"the socket was closed: {output}"
        answer = _strict_json(output["text"])
        answers.append(answer)
        if answer.get("ref") == PROBE_REF:
            assert answer["code"] == "not_joined", answer
            return answers


def _strict_json(text: str) -> dict[str, Any]:
    def refuse(constant: str) -> None:
        raise AssertionError(f"the server sent {constant}, which is not JSON: {text}")

    frame = json.loads(text, parse_constant=refuse)
    # Every string can be written as UTF-8: no lone surrogate, even escaped.
    json.dumps(frame, ensure_ascii=False).encode()
    return frame


async def _assert_stored_only_what_was_accepted(
    before: set[int], answers: list[dict[str, Any]], sent_texts: list[str]
) -> None:
    rows = await _stored_rows()
    new_rows = {row["id"]: row for row in rows if row["id"] not in before}
    acked = {answer["message"]["id"] for answer in answers if answer["type"] == "new-message"}
    # Seqs are 1..n however many frames were refused on the way.
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    # Every message stored was acknowledged to its sender, and every ack is a stored message.
    assert set(new_rows) <= acked
    assert acked <= {row["id"] for row in rows}
    # And each came from a send-message that follows the rules.
    sent = [_sent_message(text) for text in sent_texts]
    for row in new_rows.values():
        assert (row["content"], row["client_id"]) in sent, row
        assert 1 <= len(row["content"]) <= MESSAGE_MAX_CHARS
        assert row["content"] == row["content"].strip()


def _sent_message(text: str) -> tuple[str | None, Any] | None:
    """(content trimmed, client_id) of a send-message frame as a reader of the documented rules
    sees it; None for any other text."""
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(frame, dict) or frame.get("type") not in ("send-message", "Send-message"):
        return None
    content = frame.get("content")
    client_id = frame["client_id"] if "client_id" in frame else frame.get("clientId")
    return (content.strip() if isinstance(content, str) else None, client_id)


@database_sync_to_async
def _tokens(user: User, other: User) -> dict[Token, str]:
    return {
        Token.OF_THE_USER: access_token_for(user),
        Token.OF_ANOTHER_USER: access_token_for(other),
    }


@database_sync_to_async
def _stored_ids() -> set[int]:
    return set(Message.objects.values_list("id", flat=True))


@database_sync_to_async
def _stored_rows() -> list[dict[str, Any]]:
    rows = Message.objects.filter(request_id=UUID(ROOM)).order_by("seq")
    return [dict(row) for row in rows.values("id", "seq", "content", "client_id")]


@database_sync_to_async
def _is_online(user: User) -> bool:
    return User.objects.get(pk=user.pk).is_online


# --- The parser on its own: many more examples, no socket -------------------------------------
@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    database=None,
    # caplog is cleared at the start of every example.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(frame=ANY_FRAME.filter(lambda frame: frame[0] != "bytes"))
def test_the_parser_raises_nothing_but_frame_error_and_passes_only_clean_fields(
    frame: Frame, caplog: pytest.LogCaptureFixture
) -> None:
    kind, value = frame
    text = json.dumps(value, default=lambda token: "eyJ.token") if kind == "json" else value
    caplog.clear()
    try:
        parsed = parse_frame(text)
    except FrameError as error:
        refused: FrameError | None = error
    else:
        refused = None
        assert all(_clean(value) for value in _fields(parsed))
    assert not caplog.records, caplog.text  # refused by a named rule, never by the net
    assert refused is None or refused.ref is None or _clean(refused.ref)


def _fields(frame: ClientFrame) -> Iterable[Any]:
    return (getattr(frame, name) for name in frame.__dataclass_fields__)


def _clean(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    return True
