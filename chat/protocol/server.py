"""Every frame the server sends, one TypedDict per type, and the one function that builds each.

TypedDicts are plain dicts at run time, so frames go straight to `json.dumps` on the hottest path
while mypy checks every field. A frame that answers a client frame carries that frame's `ref`.
What a field's type cannot say (a format, a length, the values of a string) is `Annotated` on it
(chat.protocol.constraints): the AsyncAPI document is generated from these definitions.
"""

import json
import logging
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired, TypedDict, TypeVar, cast

from rest_framework.fields import DateTimeField

from accounts.models import Role
from chat.models import (
    ATTACHMENT_NAME_MAX_CHARS,
    CLIENT_ID_MAX_CHARS,
    MESSAGE_ATTACHMENTS_MAX,
    MESSAGE_MAX_CHARS,
)
from chat.protocol.constraints import Timestamp, Uuid, described_values, json_schema
from core.errors import DomainError
from support.models import RequestStatus

logger = logging.getLogger(__name__)

# A client's correlation value, echoed on the answer to its frame; a string one is bounded.
REF_MAX_CHARS = 64
Ref = Annotated[str, json_schema(maxLength=REF_MAX_CHARS)] | int | float | None
EchoedRef = Annotated[Ref, json_schema(description="The `ref` of the client frame this answers.")]

# The `code` of an `error` frame.
ErrorCode = Literal[
    "access_denied",
    "not_found",
    "not_active",
    "not_joined",
    "invalid_payload",
    "rate_limited",
    "unknown_type",
    "server_error",
    "backlog_too_long",
]
ERROR_MEANINGS: dict[ErrorCode, str] = {
    "access_denied": "the user may see the request but takes no part in its chat (staff), or "
    "an `authenticate` token is for another user.",
    "not_found": "no such request, or not one the user may see.",
    "not_active": "the request is not ACTIVE (still waiting, closed or cancelled).",
    "not_joined": "the frame is about a request the socket has not joined: join it first.",
    "invalid_payload": "not JSON (a NaN or infinite number included), nested too deeply, not an "
    "object, a binary frame, a missing or malformed field (a string with a NUL character or an "
    "unpaired surrogate included), content blank (without attachments) or too long, "
    "`attachment_ids` that may not be attached (unknown, someone else's, another request's, "
    "already attached), an `authenticate` token that is not valid. Nothing was stored.",
    "rate_limited": "too many messages a second on this socket, or too many frames waiting on "
    "a server that is behind. Nothing was stored: slow down and resend (same `client_id`).",
    "unknown_type": "`type` names no client frame.",
    "server_error": "the server failed to process the frame (e.g. its database was "
    "unreachable); nothing was half-done. Retry it.",
    "backlog_too_long": "`join-request` with an `after_seq` more than WS_REPLAY_MAX messages "
    "behind: read the history over REST (`GET requests/{id}/messages/?after=`), then join with "
    "the last seq you have. Nothing was joined.",
}

# The close codes the server sends itself (a client also sees the standard ones: 1006...).
CLOSE_GOING_AWAY = 1001
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_TOKEN_EXPIRED = 4001
CLOSE_DEACTIVATED = 4003
CLOSE_TOO_MANY_SOCKETS = 4008
CLOSE_MEANINGS: dict[int, str] = {
    CLOSE_GOING_AWAY: "the server process is shutting down (a restart, a deploy). Reconnect "
    "(another process takes over) and resume with after_seq.",
    CLOSE_MESSAGE_TOO_BIG: "a frame over the size limit. Never send frames that big.",
    CLOSE_TOKEN_EXPIRED: "the access token expired and no fresh one came in an `authenticate` "
    "frame. Refresh the token over REST, reconnect and resume.",
    CLOSE_DEACTIVATED: "staff deactivated the account. Do not reconnect: sign-in will fail too.",
    CLOSE_TOO_MANY_SOCKETS: "the user opened more sockets than WS_MAX_SOCKETS_PER_USER; this "
    "was the oldest. Do not reconnect it automatically (it would close another).",
}


# --- Objects carried by frames --------------------------------------------------------------------
class SenderData(TypedDict):
    id: Uuid
    name: str
    role: Annotated[str, json_schema(enum=Role.values)]


class AttachmentData(TypedDict):
    """A file attached to a message: the same object as the REST API's attachment."""

    id: Uuid
    name: Annotated[
        str,
        json_schema(
            minLength=1,
            maxLength=ATTACHMENT_NAME_MAX_CHARS,
            description="The uploader's file name, cleaned up, for display.",
        ),
    ]
    size: Annotated[int, json_schema(minimum=1, description="Bytes.")]
    content_type: Annotated[
        str, json_schema(description="The MIME type, detected from the file's bytes.")
    ]
    url: Annotated[
        str,
        json_schema(
            description="Path of the download (participants and staff, with the same bearer "
            "token as the REST API)."
        ),
    ]


class MessageData(TypedDict):
    """A stored chat message: the same object as the REST API's message."""

    id: int
    request_id: Uuid
    seq: Annotated[int, json_schema(minimum=1)]
    sender: SenderData
    content: Annotated[
        str,
        json_schema(
            maxLength=MESSAGE_MAX_CHARS, description="Empty only when attachments carry it."
        ),
    ]
    client_id: Annotated[str, json_schema(maxLength=CLIENT_ID_MAX_CHARS)] | None
    created_at: Timestamp
    attachments: Annotated[
        list[AttachmentData],
        json_schema(maxItems=MESSAGE_ATTACHMENTS_MAX, description="Empty when there are none."),
    ]


class PersonData(TypedDict):
    id: Uuid
    name: str


class ReadSeqs(TypedDict):
    """How far each participant has read (the seq of the newest message read)."""

    user: Annotated[int, json_schema(minimum=0)]
    expert: Annotated[int, json_schema(minimum=0)]


class RequestData(TypedDict):
    """A support request: the same object as the REST API's request (which also says how many
    messages the caller has not read; here every participant works it out as last_seq minus
    their own read_seqs entry)."""

    id: Uuid
    title: str
    description: str
    skill: str | None
    status: Annotated[str, json_schema(enum=RequestStatus.values)]
    user: PersonData
    expert: PersonData | None
    created_at: Timestamp
    accepted_at: Timestamp | None
    closed_at: Timestamp | None
    last_seq: Annotated[int, json_schema(minimum=0)]
    read_seqs: ReadSeqs


# --- Frames -------------------------------------------------------------------------------------
class JoinedFrame(TypedDict):
    """The answer to `join-request`: the room is joined; `last_seq` is the newest message the
    socket has been given (after the replay, or its first part)."""

    type: Literal["joined"]
    request_id: Uuid
    last_seq: Annotated[int, json_schema(minimum=0)]
    backlog: NotRequired[
        Annotated[
            int,
            json_schema(
                minimum=1,
                description="Only when a replay is longer than one batch (500 messages): how "
                "many more of it follow this frame, in order, as `new-message` frames.",
            ),
        ]
    ]
    ref: NotRequired[EchoedRef]


class LeftFrame(TypedDict):
    """The answer to `leave-request`."""

    type: Literal["left"]
    request_id: Uuid
    ref: NotRequired[EchoedRef]


class NewMessageFrame(TypedDict):
    """A message stored in a joined room, to everyone in it; to the sender it is the ack of its
    `send-message` (with that frame's `ref`)."""

    type: Literal["new-message"]
    message: MessageData
    ref: NotRequired[EchoedRef]


class TypingFrame(TypedDict):
    """Another participant of a joined room started or stopped typing."""

    type: Literal["typing"]
    request_id: Uuid
    user_id: Uuid
    is_typing: bool


class ReadFrame(TypedDict):
    """`user_id` has read the room up to `seq`: to the room when a participant's read position
    moves (the other participant's read marks), and the answer to the `read` frame that moved
    it, with that frame's `ref` (with the position as stored, moved or not)."""

    type: Literal["read"]
    request_id: Uuid
    user_id: Uuid
    seq: Annotated[int, json_schema(minimum=0)]
    ref: NotRequired[EchoedRef]


class RequestUpdatedFrame(TypedDict):
    """A request the user takes part in (or whose room the socket joined) changed status or
    expert. The expert a transfer took it from gets it too, and from then on is out of its
    room: its frames stop, and joining it again is refused."""

    type: Literal["request-updated"]
    request: RequestData


class RequestQueuedFrame(TypedDict):
    """To online, available experts who could take it: a request is waiting."""

    type: Literal["request-queued"]
    request: RequestData


class RequestTakenFrame(TypedDict):
    """To the experts who were told it was queued: the request is gone from the queue."""

    type: Literal["request-taken"]
    request_id: Uuid


class PresenceFrame(TypedDict):
    """The other participant of an ACTIVE request came online or went offline; also sent on
    joining a room, with their current state."""

    type: Literal["presence"]
    user_id: Uuid
    is_online: bool
    last_seen_at: Timestamp | None


class AuthenticatedFrame(TypedDict):
    """The answer to `authenticate`: the socket now lives until `exp` (Unix time)."""

    type: Literal["authenticated"]
    exp: Annotated[int, json_schema(description="Unix time (seconds) the socket now lives until.")]
    ref: NotRequired[EchoedRef]


class ErrorFrame(TypedDict):
    """A client frame could not be acted on; the socket stays open."""

    type: Literal["error"]
    code: Annotated[ErrorCode, json_schema(description=described_values(ERROR_MEANINGS))]
    detail: Annotated[str, json_schema(description="What went wrong, for people to read.")]
    request_id: NotRequired[Annotated[Uuid, json_schema(description="The request it is about.")]]
    retry_after: NotRequired[
        Annotated[
            int,
            json_schema(
                minimum=1,
                description="With server_error: seconds to wait before retrying the frame.",
            ),
        ]
    ]
    ref: NotRequired[EchoedRef]


ServerFrame = (
    JoinedFrame
    | LeftFrame
    | NewMessageFrame
    | TypingFrame
    | ReadFrame
    | RequestUpdatedFrame
    | RequestQueuedFrame
    | RequestTakenFrame
    | PresenceFrame
    | AuthenticatedFrame
    | ErrorFrame
)

F = TypeVar("F", bound=Mapping[str, Any])


def _answering(frame: F, ref: Ref) -> F:
    """The answer to a client frame echoes that frame's `ref`."""
    if ref is not None:
        cast(dict[str, Any], frame)["ref"] = ref
    return frame


def joined_frame(
    *, request_id: str, last_seq: int, backlog: int = 0, ref: Ref = None
) -> JoinedFrame:
    joined = JoinedFrame(type="joined", request_id=request_id, last_seq=last_seq)
    if backlog:
        joined["backlog"] = backlog
    return _answering(joined, ref)


def left_frame(*, request_id: str, ref: Ref = None) -> LeftFrame:
    return _answering(LeftFrame(type="left", request_id=request_id), ref)


def new_message_frame(message: MessageData, *, ref: Ref = None) -> NewMessageFrame:
    return _answering(NewMessageFrame(type="new-message", message=message), ref)


def typing_frame(*, request_id: str, user_id: str, is_typing: bool) -> TypingFrame:
    return TypingFrame(type="typing", request_id=request_id, user_id=user_id, is_typing=is_typing)


def read_frame(*, request_id: str, user_id: str, seq: int, ref: Ref = None) -> ReadFrame:
    return _answering(ReadFrame(type="read", request_id=request_id, user_id=user_id, seq=seq), ref)


def request_updated_frame(request: RequestData) -> RequestUpdatedFrame:
    return RequestUpdatedFrame(type="request-updated", request=request)


def request_queued_frame(request: RequestData) -> RequestQueuedFrame:
    return RequestQueuedFrame(type="request-queued", request=request)


def request_taken_frame(*, request_id: str) -> RequestTakenFrame:
    return RequestTakenFrame(type="request-taken", request_id=request_id)


_TIMESTAMP = DateTimeField()


def presence_frame(
    *, user_id: str, is_online: bool, last_seen_at: datetime | None
) -> PresenceFrame:
    return PresenceFrame(
        type="presence",
        user_id=user_id,
        is_online=is_online,
        last_seen_at=_TIMESTAMP.to_representation(last_seen_at) if last_seen_at else None,
    )


def authenticated_frame(*, exp: int, ref: Ref = None) -> AuthenticatedFrame:
    return _answering(AuthenticatedFrame(type="authenticated", exp=exp), ref)


def error_frame(
    code: ErrorCode,
    detail: str,
    *,
    ref: Ref = None,
    request_id: str | None = None,
    retry_after: int | None = None,
) -> ErrorFrame:
    frame = ErrorFrame(type="error", code=code, detail=detail)
    if request_id is not None:
        frame["request_id"] = request_id
    if retry_after is not None:
        frame["retry_after"] = retry_after
    return _answering(frame, ref)


def frame_text(frame: ServerFrame) -> str:
    """The frame as the text sent on the socket: strict JSON, which every client can read.
    NaN and Infinity are not JSON (browsers' JSON.parse refuses them); a frame that would carry
    one, or anything else json cannot write, is a bug here, and goes out as a `server_error`
    rather than as text no client can parse or as an exception that would end the socket."""
    try:
        return _STRICT_JSON.encode(frame)
    except (TypeError, ValueError):
        logger.exception("a %r frame cannot be written as JSON", frame.get("type"))
        ref = cast(Mapping[str, Any], frame).get("ref")
        error = error_frame(
            "server_error",
            "The server could not write its answer to this frame; retry it.",
            ref=ref if _writable(ref) else None,
        )
        return _STRICT_JSON.encode(error)


# One encoder for every frame, as json.dumps keeps one for its defaults: building one per call
# would nearly double the cost of writing a small frame (a typing relay).
_STRICT_JSON = json.JSONEncoder(allow_nan=False)


def _writable(ref: Any) -> bool:
    return isinstance(ref, str | int) or (isinstance(ref, float) and math.isfinite(ref))


def error_code_for(exc: DomainError) -> ErrorCode:
    """The one place domain errors become socket error codes. In chat, a plain Conflict is
    always about the request's state, which the protocol calls not_active."""
    code = {"conflict": "not_active"}.get(exc.code, exc.code)
    if code in ("access_denied", "not_found", "not_active", "invalid_payload", "rate_limited"):
        return cast(ErrorCode, code)
    return "invalid_payload"
