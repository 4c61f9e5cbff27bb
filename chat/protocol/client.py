"""Every frame a client may send, one frozen dataclass per type, and `parse_frame`.

Everything a client can get wrong is caught here and becomes a `FrameError` (an `error` frame,
the socket stays open), so the consumer only ever sees well-formed frames: `parse_frame` raises
nothing else, whatever the text. The Node service's spellings (`requestId`, `Send-message`,
camelCase fields) are accepted as aliases.

Each dataclass is also the frame's documentation: its docstring, its fields and their
`Annotated` limits (chat.protocol.constraints) are what the AsyncAPI document says about it.
"""

import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, NoReturn
from uuid import UUID

from chat.models import CLIENT_ID_MAX_CHARS, MESSAGE_ATTACHMENTS_MAX, MESSAGE_MAX_CHARS
from chat.protocol.constraints import Uuid, json_schema
from chat.protocol.server import REF_MAX_CHARS, ErrorCode, Ref

logger = logging.getLogger(__name__)


class FrameError(Exception):
    """A client frame that cannot be acted on; becomes an `error` frame, the socket stays open."""

    def __init__(
        self, code: ErrorCode, detail: str, *, ref: Ref = None, request_id: str | None = None
    ) -> None:
        super().__init__(detail)
        self.code: ErrorCode = code
        self.detail = detail
        self.ref = ref
        self.request_id = request_id


@dataclass(frozen=True, kw_only=True, slots=True)
class ClientFrame:
    type: ClassVar[str]
    # The `type` of the server frame that acknowledges this one, if any (an `error` can answer
    # any frame).
    answer: ClassVar[str | None] = None
    # JSON Schema keywords that tie fields together, added to the frame's schema.
    requires: ClassVar[dict[str, Any] | None] = None
    ref: Annotated[
        Ref,
        json_schema(description="Any string or number; the answer (ack or error) echoes it."),
    ] = None

    @property
    def room(self) -> str | None:
        """The request the frame is about, if any (errors about the frame name it)."""
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class RoomFrame(ClientFrame):
    request_id: Uuid  # canonical UUID string once parsed

    @property
    def room(self) -> str | None:
        return self.request_id


@dataclass(frozen=True, kw_only=True, slots=True)
class JoinRequest(RoomFrame):
    """Join the request's room (requester or assigned expert, request ACTIVE). With
    `after_seq`, every later message is replayed first. Answered with `joined`."""

    type: ClassVar[str] = "join-request"
    answer: ClassVar[str | None] = "joined"
    after_seq: (
        Annotated[
            int,
            json_schema(minimum=0, description="Replay every message with a greater seq first."),
        ]
        | None
    ) = None


@dataclass(frozen=True, kw_only=True, slots=True)
class LeaveRequest(RoomFrame):
    """Leave the request's room. Answered with `left`."""

    type: ClassVar[str] = "leave-request"
    answer: ClassVar[str | None] = "left"


@dataclass(frozen=True, kw_only=True, slots=True)
class SendMessage(RoomFrame):
    """Post a message in a joined room: stored, then broadcast (the sender's copy is its ack).
    A repeated `client_id` stores nothing and is answered with the original message. Files
    uploaded first (POST /api/requests/{id}/attachments/) go with it in `attachment_ids`; the
    content may then be empty."""

    type: ClassVar[str] = "send-message"
    answer: ClassVar[str | None] = "new-message"
    # What the fields cannot say one by one: a message has content, or attachments, or both.
    requires: ClassVar[dict[str, Any] | None] = {
        "anyOf": [
            {"required": ["content"], "properties": {"content": {"minLength": 1}}},
            {"required": ["attachment_ids"], "properties": {"attachment_ids": {"minItems": 1}}},
        ]
    }
    content: Annotated[
        str,
        json_schema(
            maxLength=MESSAGE_MAX_CHARS,
            description="Trimmed first; must then be non-blank, unless `attachment_ids` lists "
            "at least one file (then it may be empty or left out).",
        ),
    ] = ""
    attachment_ids: Annotated[
        tuple[Uuid, ...],
        json_schema(
            maxItems=MESSAGE_ATTACHMENTS_MAX,
            uniqueItems=True,
            description="Uploads of the sender into this request that no message carries yet. "
            "Any other (unknown, someone else's, another request's, already attached) refuses "
            "the whole message with `invalid_payload`, and nothing is stored.",
        ),
    ] = ()
    client_id: (
        Annotated[
            str,
            json_schema(
                minLength=1,
                maxLength=CLIENT_ID_MAX_CHARS,
                description="Unique per sender and request: a repeated send is answered with "
                "the original message.",
            ),
        ]
        | None
    ) = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Typing(RoomFrame):
    """Tell the others in a joined room that the user is (not) typing. Not answered."""

    type: ClassVar[str] = "typing"
    is_typing: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class Read(RoomFrame):
    """Mark a joined room read up to `seq`. The stored position only moves forward and never
    past the room's last message; when it moves, the room is told (`read`). Answered with
    `read`, the position as now stored."""

    type: ClassVar[str] = "read"
    answer: ClassVar[str | None] = "read"
    seq: Annotated[int, json_schema(minimum=0, description="The seq of the newest message read.")]


@dataclass(frozen=True, kw_only=True, slots=True)
class Authenticate(ClientFrame):
    """Extend the socket's life with a fresh access token. Answered with `authenticated`."""

    type: ClassVar[str] = "authenticate"
    answer: ClassVar[str | None] = "authenticated"
    token: Annotated[str, json_schema(minLength=1, description="A fresh access JWT.")]


CLIENT_FRAMES: tuple[type[ClientFrame], ...] = (
    JoinRequest,
    LeaveRequest,
    SendMessage,
    Typing,
    Read,
    Authenticate,
)

# Frame types and field names of the Node service, kept so its clients port without changes.
TYPE_ALIASES = {"Send-message": SendMessage.type}
FIELD_ALIASES = {
    "request_id": "requestId",
    "after_seq": "afterSeq",
    "client_id": "clientId",
    "is_typing": "isTyping",
}


def parse_frame(text: str) -> ClientFrame:
    """Parse one text frame. Raises FrameError with `invalid_payload` or `unknown_type`, and
    nothing else: the text comes from anyone, and any other exception would end the socket."""
    try:
        return _parse(text)
    except FrameError:
        raise
    except Exception:
        # The rules below refuse bad input by name; this is the net under them, so a frame that
        # slips past them is still only a bad frame, never a dead socket. Reaching it is a bug
        # here, hence the traceback.
        logger.exception("a client frame could not be parsed")
        raise _invalid("Frame could not be read.") from None


def _parse(text: str) -> ClientFrame:
    data = _json_object(text)
    ref = _ref(data)
    frame_type = data.get("type")
    if not isinstance(frame_type, str) or not frame_type:
        raise _invalid("Field 'type' is required.", ref=ref)
    if not _storable(frame_type):
        raise _invalid(f"Field 'type' {_UNSTORABLE_DETAIL}", ref=ref)
    frame_type = TYPE_ALIASES.get(frame_type, frame_type)
    parser = _PARSERS.get(frame_type)
    if parser is None:
        raise FrameError("unknown_type", f"Unknown frame type '{frame_type[:40]}'.", ref=ref)
    return parser(data, ref)


def _json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except RecursionError:
        # json nests by recursion; a frame of 64 KiB can open 32 000 brackets.
        raise _invalid("Frame is nested too deeply.") from None
    except ValueError:
        raise _invalid("Frame is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _invalid("Frame must be a JSON object.")
    return data


# No number in a frame may be NaN or infinite: they are not JSON (browsers' JSON.parse refuses
# them), so the server could not echo them. Python's json reads the literals NaN and Infinity,
# and turns a number too big for a double (1e400) into infinity.
_NOT_FINITE = "Numbers must be finite: no NaN, no Infinity, nothing too big for a double (1e400)."


def _not_json(literal: str) -> NoReturn:
    raise _invalid(_NOT_FINITE)


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise _invalid(_NOT_FINITE)
    return number


# Text no field may carry: PostgreSQL cannot store NUL in text, and an unpaired surrogate (a
# `\ud800` escape in the JSON) cannot be encoded as UTF-8 to store or to echo. Left to the
# database, they would fail as `server_error`, which tells a client to retry: forever. The REST
# API refuses both too (DRF's CharField), so the two ways in agree.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_DETAIL = "must not contain NUL characters or unpaired surrogates."


def _storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def _invalid(detail: str, *, ref: Ref = None, request_id: str | None = None) -> FrameError:
    return FrameError("invalid_payload", detail, ref=ref, request_id=request_id)


def _ref(data: dict[str, Any]) -> Ref:
    ref = data.get("ref")
    if ref is None:
        return None
    if isinstance(ref, bool) or not isinstance(ref, str | int | float):
        raise _invalid("Field 'ref' must be a string or a number.")
    if isinstance(ref, str) and len(ref) > REF_MAX_CHARS:
        raise _invalid(f"Field 'ref' is over {REF_MAX_CHARS} characters.")
    if isinstance(ref, str) and not _storable(ref):
        raise _invalid(f"Field 'ref' {_UNSTORABLE_DETAIL}")
    return ref


def _field(data: dict[str, Any], name: str) -> Any:
    """A field by its canonical name or, when that is absent, by the Node service's name."""
    if name in data:
        return data[name]
    alias = FIELD_ALIASES.get(name)
    return data.get(alias) if alias else None


def _request_id(data: dict[str, Any], ref: Ref) -> str:
    value = _field(data, "request_id")
    if value is None:
        raise _invalid("Field 'request_id' is required.", ref=ref)
    not_a_uuid = _invalid("Field 'request_id' must be a UUID.", ref=ref)
    if not isinstance(value, str):
        raise not_a_uuid
    try:
        return str(UUID(value))
    except ValueError:
        raise not_a_uuid from None


def _seq(data: dict[str, Any], name: str, ref: Ref, request_id: str) -> int | None:
    """A seq field: absent (None), or a non-negative JSON integer."""
    value = _field(data, name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise _invalid(
            f"Field '{name}' must be a non-negative integer.", ref=ref, request_id=request_id
        )
    return value


def _join(data: dict[str, Any], ref: Ref) -> JoinRequest:
    request_id = _request_id(data, ref)
    after_seq = _seq(data, "after_seq", ref, request_id)
    return JoinRequest(ref=ref, request_id=request_id, after_seq=after_seq)


def _read(data: dict[str, Any], ref: Ref) -> Read:
    request_id = _request_id(data, ref)
    seq = _seq(data, "seq", ref, request_id)
    if seq is None:
        raise _invalid("Field 'seq' is required.", ref=ref, request_id=request_id)
    return Read(ref=ref, request_id=request_id, seq=seq)


def _leave(data: dict[str, Any], ref: Ref) -> LeaveRequest:
    return LeaveRequest(ref=ref, request_id=_request_id(data, ref))


def _send(data: dict[str, Any], ref: Ref) -> SendMessage:
    request_id = _request_id(data, ref)

    def invalid(detail: str) -> FrameError:
        return _invalid(detail, ref=ref, request_id=request_id)

    attachment_ids = _attachment_ids(data.get("attachment_ids"), invalid)
    content = data.get("content")
    if content is None and attachment_ids:
        content = ""
    if not isinstance(content, str):
        raise invalid("Field 'content' is required and must be a string.")
    content = content.strip()
    if not content and not attachment_ids:
        raise invalid("Field 'content' must not be blank.")
    if len(content) > MESSAGE_MAX_CHARS:
        raise invalid(f"Field 'content' is over {MESSAGE_MAX_CHARS} characters.")
    if not _storable(content):
        raise invalid(f"Field 'content' {_UNSTORABLE_DETAIL}")
    client_id = _field(data, "client_id")
    if client_id is not None and (
        not isinstance(client_id, str) or not client_id or len(client_id) > CLIENT_ID_MAX_CHARS
    ):
        raise invalid(f"Field 'client_id' must be a string of 1-{CLIENT_ID_MAX_CHARS} characters.")
    if client_id is not None and not _storable(client_id):
        raise invalid(f"Field 'client_id' {_UNSTORABLE_DETAIL}")
    return SendMessage(
        ref=ref,
        request_id=request_id,
        content=content,
        client_id=client_id,
        attachment_ids=attachment_ids,
    )


def _attachment_ids(value: Any, invalid: Callable[[str], FrameError]) -> tuple[str, ...]:
    """Absent (no attachments), or a list of at most MESSAGE_ATTACHMENTS_MAX distinct UUIDs."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MESSAGE_ATTACHMENTS_MAX:
        raise invalid(
            f"Field 'attachment_ids' must be a list of at most {MESSAGE_ATTACHMENTS_MAX} ids."
        )
    try:
        ids = tuple(str(UUID(item)) for item in value if isinstance(item, str))
    except ValueError:
        ids = ()
    if len(ids) != len(value):
        raise invalid("Field 'attachment_ids' must list attachment ids (UUIDs).")
    if len(set(ids)) != len(ids):
        raise invalid("Field 'attachment_ids' lists an attachment more than once.")
    return ids


def _typing(data: dict[str, Any], ref: Ref) -> Typing:
    request_id = _request_id(data, ref)
    is_typing = _field(data, "is_typing")
    if not isinstance(is_typing, bool):
        raise _invalid("Field 'is_typing' must be true or false.", ref=ref, request_id=request_id)
    return Typing(ref=ref, request_id=request_id, is_typing=is_typing)


def _authenticate(data: dict[str, Any], ref: Ref) -> Authenticate:
    token = data.get("token")
    if not isinstance(token, str) or not token:
        raise _invalid("Field 'token' is required.", ref=ref)
    if not _storable(token):
        raise _invalid(f"Field 'token' {_UNSTORABLE_DETAIL}", ref=ref)
    return Authenticate(ref=ref, token=token)


_PARSERS: dict[str, Callable[[dict[str, Any], Ref], ClientFrame]] = {
    JoinRequest.type: _join,
    LeaveRequest.type: _leave,
    SendMessage.type: _send,
    Typing.type: _typing,
    Read.type: _read,
    Authenticate.type: _authenticate,
}
