"""The WebSocket frame format: parsing and validating client frames, building server frames.

Everything a client can get wrong is caught here and turned into a `FrameError`, so the consumer
only ever sees well-formed frames. The Node service's spellings (`requestId`, `Send-message`)
are accepted as aliases.
"""

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

MAX_CONTENT_CHARS = 4000
MAX_CLIENT_ID_CHARS = 64
MAX_REF_CHARS = 64

JOIN = "join-request"
LEAVE = "leave-request"
SEND = "send-message"
TYPING = "typing"
AUTHENTICATE = "authenticate"

# Frame types of the Node service, kept so its clients port without changes.
TYPE_ALIASES = {"Send-message": SEND}

Ref = str | int | float | None


class FrameError(Exception):
    """A client frame that cannot be acted on; becomes an `error` frame, the socket stays open."""

    def __init__(
        self, code: str, detail: str, *, ref: Ref = None, request_id: str | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.ref = ref
        self.request_id = request_id


@dataclass(frozen=True)
class ClientFrame:
    type: str
    ref: Ref = None
    request_id: str | None = None  # canonical UUID string
    after_seq: int | None = None
    content: str | None = None  # trimmed
    client_id: str | None = None
    is_typing: bool | None = None
    token: str | None = None


def parse_frame(text: str) -> ClientFrame:
    """Parse one text frame. Raises FrameError with `invalid_payload` or `unknown_type`."""
    try:
        data = json.loads(text)
    except ValueError:
        raise FrameError("invalid_payload", "Frame is not valid JSON.") from None
    if not isinstance(data, dict):
        raise FrameError("invalid_payload", "Frame must be a JSON object.")
    ref = _ref(data)
    frame_type = data.get("type")
    if not isinstance(frame_type, str) or not frame_type:
        raise FrameError("invalid_payload", "Field 'type' is required.", ref=ref)
    frame_type = TYPE_ALIASES.get(frame_type, frame_type)
    parser = _PARSERS.get(frame_type)
    if parser is None:
        raise FrameError("unknown_type", f"Unknown frame type '{frame_type[:40]}'.", ref=ref)
    return parser(data, frame_type, ref)


def _ref(data: dict) -> Ref:
    ref = data.get("ref")
    if ref is None:
        return None
    if isinstance(ref, bool) or not isinstance(ref, str | int | float):
        raise FrameError("invalid_payload", "Field 'ref' must be a string or a number.")
    if isinstance(ref, str) and len(ref) > MAX_REF_CHARS:
        raise FrameError("invalid_payload", f"Field 'ref' is over {MAX_REF_CHARS} characters.")
    return ref


def _request_id(data: dict, ref: Ref) -> str:
    value = data.get("request_id", data.get("requestId"))
    if value is None:
        raise FrameError("invalid_payload", "Field 'request_id' is required.", ref=ref)
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return str(UUID(value))
    except ValueError:
        raise FrameError("invalid_payload", "Field 'request_id' must be a UUID.", ref=ref) from None


def _room_frame(data: dict, frame_type: str, ref: Ref) -> ClientFrame:
    return ClientFrame(type=frame_type, ref=ref, request_id=_request_id(data, ref))


def _join_frame(data: dict, frame_type: str, ref: Ref) -> ClientFrame:
    request_id = _request_id(data, ref)
    after_seq = data.get("after_seq", data.get("afterSeq"))
    if after_seq is not None and (
        isinstance(after_seq, bool) or not isinstance(after_seq, int) or after_seq < 0
    ):
        raise FrameError(
            "invalid_payload",
            "Field 'after_seq' must be a non-negative integer.",
            ref=ref,
            request_id=request_id,
        )
    return ClientFrame(type=frame_type, ref=ref, request_id=request_id, after_seq=after_seq)


def _send_frame(data: dict, frame_type: str, ref: Ref) -> ClientFrame:
    request_id = _request_id(data, ref)

    def invalid(detail: str) -> FrameError:
        return FrameError("invalid_payload", detail, ref=ref, request_id=request_id)

    content = data.get("content")
    if not isinstance(content, str):
        raise invalid("Field 'content' is required and must be a string.")
    content = content.strip()
    if not content:
        raise invalid("Field 'content' must not be blank.")
    if len(content) > MAX_CONTENT_CHARS:
        raise invalid(f"Field 'content' is over {MAX_CONTENT_CHARS} characters.")
    client_id = data.get("client_id", data.get("clientId"))
    if client_id is not None and (
        not isinstance(client_id, str) or not client_id or len(client_id) > MAX_CLIENT_ID_CHARS
    ):
        raise invalid(f"Field 'client_id' must be a string of 1-{MAX_CLIENT_ID_CHARS} characters.")
    return ClientFrame(
        type=frame_type, ref=ref, request_id=request_id, content=content, client_id=client_id
    )


def _typing_frame(data: dict, frame_type: str, ref: Ref) -> ClientFrame:
    request_id = _request_id(data, ref)
    is_typing = data.get("is_typing", data.get("isTyping"))
    if not isinstance(is_typing, bool):
        raise FrameError(
            "invalid_payload",
            "Field 'is_typing' must be true or false.",
            ref=ref,
            request_id=request_id,
        )
    return ClientFrame(type=frame_type, ref=ref, request_id=request_id, is_typing=is_typing)


def _authenticate_frame(data: dict, frame_type: str, ref: Ref) -> ClientFrame:
    token = data.get("token")
    if not isinstance(token, str) or not token:
        raise FrameError("invalid_payload", "Field 'token' is required.", ref=ref)
    return ClientFrame(type=frame_type, ref=ref, token=token)


_PARSERS = {
    JOIN: _join_frame,
    LEAVE: _room_frame,
    SEND: _send_frame,
    TYPING: _typing_frame,
    AUTHENTICATE: _authenticate_frame,
}


# --- Server frames ----------------------------------------------------------------------------


def with_ref(frame: dict[str, Any], ref: Ref) -> dict[str, Any]:
    """The answer to a client frame echoes that frame's `ref`."""
    return frame if ref is None else {**frame, "ref": ref}


def error_frame(
    code: str, detail: str, *, ref: Ref = None, request_id: str | None = None
) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
    if request_id is not None:
        frame["request_id"] = request_id
    return with_ref(frame, ref)


def new_message_frame(message: dict[str, Any]) -> dict[str, Any]:
    return {"type": "new-message", "message": message}
