"""The WebSocket protocol as an AsyncAPI 3.0.0 document, generated from chat.protocol.

Nothing here lists a frame or a field. The messages are `CLIENT_FRAMES` and the members of the
`ServerFrame` union; each payload comes from the frame's dataclass fields or TypedDict keys, their
type hints and the `Annotated` limits on them (chat.protocol.constraints); each description from
the frame's docstring. A frame or a field added to the protocol is in the document at once, and
the tests check that the frames a real server exchanges validate against it.

AsyncAPI 3 describes one application, here the server: it *receives* the client frames (each
operation's `reply` names the frames that can answer it) and *sends* the server frames.
"""

import dataclasses
import inspect
import re
import types
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from django.conf import settings

from chat.middleware import BEARER_SUBPROTOCOL
from chat.protocol.client import CLIENT_FRAMES, FIELD_ALIASES, TYPE_ALIASES, ClientFrame
from chat.protocol.constraints import JsonSchema, described_values
from chat.protocol.server import CLOSE_MEANINGS, ErrorFrame, ServerFrame

Schema = dict[str, Any]

ASYNCAPI_VERSION = "3.0.0"
TITLE = "Expert Support WebSocket"
SOCKET_PATH = "/ws/"
CHANNEL = "socket"
SERVER = "expert-support"

_JSON_TYPES: dict[type, str] = {bool: "boolean", str: "string", int: "integer", float: "number"}


def asyncapi_document(*, host: str = "localhost:8000", secure: bool = False) -> Schema:
    """The whole document; `host` and `secure` name the server it is served from."""
    schemas = _Schemas()
    messages = {
        **{frame.__name__: _client_message(frame, schemas) for frame in CLIENT_FRAMES},
        **{frame.__name__: _server_message(frame, schemas) for frame in server_frames()},
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": _info(),
        "defaultContentType": "application/json",
        "servers": {SERVER: _server(host=host, secure=secure)},
        "channels": {CHANNEL: _channel(messages)},
        "operations": _operations(),
        "components": {
            "messages": messages,
            "schemas": schemas.components,
            "securitySchemes": _security_schemes(),
        },
    }


def server_frames() -> tuple[type, ...]:
    """Every server frame type: the members of the ServerFrame union."""
    return get_args(ServerFrame)


def frame_type(frame: type) -> str:
    """The `type` a frame carries on the wire."""
    if isinstance(frame, type) and issubclass(frame, ClientFrame):
        return frame.type
    (value,) = get_args(get_type_hints(frame)["type"])
    return str(value)


# --- Payload schemas ----------------------------------------------------------------------------
class _Schemas:
    """JSON Schemas of Python type hints. A TypedDict nested in a frame (a message, a request)
    becomes a named schema in components/schemas, referenced wherever it is used."""

    def __init__(self) -> None:
        self.components: dict[str, Schema] = {}

    def of(self, hint: Any) -> Schema:
        origin = get_origin(hint)
        if origin is Annotated:
            base, *metadata = get_args(hint)
            return _with_keywords(self.of(base), metadata)
        if origin in (Union, types.UnionType):
            return self._union(get_args(hint))
        if origin is Literal:
            return _literal(get_args(hint))
        if origin in (list, tuple):
            # list[X], or tuple[X, ...] (the frozen client frames' lists).
            return {"type": "array", "items": self.of(get_args(hint)[0])}
        if is_typeddict(hint):
            return self._component(hint)
        if hint in _JSON_TYPES:
            return {"type": _JSON_TYPES[hint]}
        raise TypeError(f"No JSON Schema for {hint!r}: teach chat.protocol.asyncapi this type.")

    def typed_dict(self, cls: type) -> Schema:
        """A closed object: TypedDicts list every key a frame has."""
        hints = get_type_hints(cls, include_extras=True)
        required_keys: frozenset[str] = getattr(cls, "__required_keys__", frozenset())
        return {
            "type": "object",
            "properties": {name: self.of(_key_type(hint)) for name, hint in hints.items()},
            "required": [name for name in hints if name in required_keys],
            "additionalProperties": False,
        }

    def client_frame(self, frame: type[ClientFrame]) -> Schema:
        """The canonical field names; the server ignores fields it does not know, so the object
        stays open (the Node service's aliases are named in the descriptions)."""
        hints = get_type_hints(frame, include_extras=True)
        properties = {"type": _client_type(frame)}
        required = ["type"]
        for field in dataclasses.fields(frame):
            properties[field.name] = _with_alias(self.of(hints[field.name]), field.name)
            if _without_default(field):
                required.append(field.name)
        schema: Schema = {"type": "object", "properties": properties, "required": required}
        return {**schema, **(frame.requires or {})}

    def _union(self, members: tuple[Any, ...]) -> Schema:
        nullable = type(None) in members
        schemas = [self.of(member) for member in members if member is not type(None)]
        if nullable and len(schemas) == 1 and _foldable(schemas[0]):
            # `str | None` reads best as type ["string", "null"]; keywords such as maxLength
            # apply to strings only, so they stay as they are.
            return {**schemas[0], "type": [schemas[0]["type"], "null"]}
        if nullable:
            schemas.append({"type": "null"})
        return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}

    def _component(self, cls: type) -> Schema:
        name = cls.__name__
        if name not in self.components:
            described = _described(self.typed_dict(cls), _doc(cls))
            self.components[name] = described
        return {"$ref": f"#/components/schemas/{name}"}


def _without_default(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def _key_type(hint: Any) -> Any:
    """The type under a TypedDict key's NotRequired[...] or Required[...]; whether a key is
    required is read from __required_keys__ instead."""
    while get_origin(hint) in (NotRequired, Required):
        (hint,) = get_args(hint)
    return hint


def _literal(values: tuple[Any, ...]) -> Schema:
    kinds = {_JSON_TYPES[type(value)] for value in values}
    schema: Schema = {"type": kinds.pop()} if len(kinds) == 1 else {}
    if len(values) == 1:
        return {**schema, "const": values[0]}
    return {**schema, "enum": list(values)}


def _foldable(schema: Schema) -> bool:
    """Whether "null" can join the schema's `type` without another keyword refusing it."""
    return isinstance(schema.get("type"), str) and not {"const", "enum"} & schema.keys()


def _with_keywords(schema: Schema, metadata: list[Any]) -> Schema:
    keywords: Schema = {}
    for item in metadata:
        if isinstance(item, JsonSchema):
            keywords.update(item.keywords)
    if "$ref" in schema and keywords:
        # In JSON Schema draft 7 a $ref's sibling keywords are ignored: wrap it.
        return {"allOf": [schema], **keywords}
    return {**schema, **keywords}


def _with_alias(schema: Schema, field: str) -> Schema:
    alias = FIELD_ALIASES.get(field)
    if alias is None:
        return schema
    note = f"`{alias}` is accepted for `{field}` (the Node service's name)."
    return {**schema, "description": _joined(schema.get("description"), note)}


def _client_type(frame: type[ClientFrame]) -> Schema:
    schema: Schema = {"type": "string", "const": frame.type}
    aliases = [alias for alias, canonical in TYPE_ALIASES.items() if canonical == frame.type]
    if aliases:
        spelled = ", ".join(f"`{alias}`" for alias in aliases)
        schema["description"] = f"{spelled} is accepted too (the Node service's spelling)."
    return schema


# --- Messages -----------------------------------------------------------------------------------
def _client_message(frame: type[ClientFrame], schemas: _Schemas) -> Schema:
    return _message(
        frame.type,
        title=f"{frame.type} (client → server)",
        doc=_doc(frame),
        payload=schemas.client_frame(frame),
    )


def _server_message(frame: type, schemas: _Schemas) -> Schema:
    name = frame_type(frame)
    return _message(
        name,
        title=f"{name} (server → client)",
        doc=_doc(frame),
        payload=schemas.typed_dict(frame),
    )


def _message(name: str, *, title: str, doc: str | None, payload: Schema) -> Schema:
    message: Schema = {"name": name, "title": title}
    if doc:
        summary = _first_sentence(doc)
        if summary != doc:
            message["summary"] = summary
        message["description"] = doc
    message["payload"] = payload
    if "ref" in payload["properties"]:
        message["correlationId"] = {
            "description": "A client frame's `ref` comes back on the frame that answers it.",
            "location": "$message.payload#/ref",
        }
    return message


def _doc(cls: type) -> str | None:
    """The docstring with each paragraph on one line: the code's line wrapping means nothing
    to a reader of the document."""
    # Not inspect.getdoc: it would give a TypedDict without a docstring the docstring of dict.
    if not cls.__doc__:
        return None
    paragraphs = inspect.cleandoc(cls.__doc__).split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def _described(schema: Schema, description: str | None) -> Schema:
    return {"description": description, **schema} if description else schema


def _joined(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


# --- Operations ---------------------------------------------------------------------------------
def _operations() -> Schema:
    by_type = {frame_type(frame): frame.__name__ for frame in server_frames()}
    operations: Schema = {}
    for frame in CLIENT_FRAMES:
        answers = [by_type[frame.answer]] if frame.answer else []
        operations[f"receive{frame.__name__}"] = {
            "action": "receive",
            "channel": _channel_ref(),
            "summary": f"A client sends `{frame.type}`.",
            "messages": [_message_ref(frame.__name__)],
            "reply": {
                "channel": _channel_ref(),
                "messages": [_message_ref(name) for name in [*answers, ErrorFrame.__name__]],
            },
        }
    for server_frame in server_frames():
        operations[f"send{server_frame.__name__}"] = {
            "action": "send",
            "channel": _channel_ref(),
            "summary": f"The server sends `{frame_type(server_frame)}`.",
            "messages": [_message_ref(server_frame.__name__)],
        }
    return operations


def _channel_ref() -> Schema:
    return {"$ref": f"#/channels/{CHANNEL}"}


def _message_ref(name: str) -> Schema:
    return {"$ref": f"#/channels/{CHANNEL}/messages/{name}"}


# --- Info, server, channel, security ------------------------------------------------------------
def _info() -> Schema:
    return {
        "title": TITLE,
        "version": settings.SPECTACULAR_SETTINGS["VERSION"],
        "description": (
            "Everything real-time in Expert Support travels over one socket per client at "
            f"`{SOCKET_PATH}`: chat messages of every request the client takes part in, typing, "
            "presence and request status changes. Frames are JSON objects in text frames, each "
            "with a `type`; a client frame may carry a `ref`, which the server's answer to it "
            "(the ack or an `error`) echoes. The REST API (`/api/schema/`) does everything "
            "else. This document is generated from the code that builds and parses the frames."
        ),
    }


def _server(*, host: str, secure: bool) -> Schema:
    return {
        "host": host,
        "protocol": "wss" if secure else "ws",
        "description": "This deployment (several server processes may serve one address).",
        "security": [
            {"$ref": f"#/components/securitySchemes/{name}"} for name in _security_schemes()
        ],
    }


def _channel(messages: Schema) -> Schema:
    return {
        "address": SOCKET_PATH,
        "title": "The socket",
        "description": _channel_description(),
        "servers": [{"$ref": f"#/servers/{SERVER}"}],
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
        "bindings": {"ws": _handshake_binding()},
    }


def _channel_description() -> str:
    return "\n\n".join([_handshake_text(), _limits_text(), _close_codes_text()])


def _handshake_text() -> str:
    return (
        "**Handshake.** The access JWT goes in the `Authorization: Bearer` header, or as the "
        f'subprotocol pair `["{BEARER_SUBPROTOCOL}", <token>]` (browsers; the server then picks '
        f"`{BEARER_SUBPROTOCOL}`), or as `?token=` (least safe: URLs end up in logs). No token, "
        "a malformed, expired or refresh token, an unknown or deactivated user, an `Origin` "
        f"whose host is not allowed, or a path other than `{SOCKET_PATH}`: the handshake is "
        "refused with **HTTP 403** and no socket is opened. A client that sends no `Origin` is "
        "fine. In a connect storm a handshake may wait its turn for a few seconds (give it a "
        "timeout of 10 s or more), or be refused with **HTTP 503** and `Retry-After` (seconds): "
        "reconnect after that long plus jitter (docs/websocket.md, the reconnect recipe)."
    )


def _limits_text() -> str:
    return (
        f"**Limits.** A frame is at most {settings.WS_MAX_FRAME_BYTES} bytes. A socket may send "
        f"{settings.WS_MESSAGE_RATE:g} messages a second (bursts of {settings.WS_MESSAGE_BURST}); "
        "beyond that they are refused with `rate_limited`. Bad input of any kind gets an `error` "
        "frame, and the socket stays open: frames are strict JSON (no NaN or infinite numbers), "
        "and no string may contain a NUL character or an unpaired surrogate."
    )


def _close_codes_text() -> str:
    meanings = {str(code): meaning for code, meaning in CLOSE_MEANINGS.items()}
    return "**Close codes** the server sends:\n" + described_values(meanings)


def _handshake_binding() -> Schema:
    return {
        "bindingVersion": "0.1.0",
        "method": "GET",
        "headers": {
            "type": "object",
            "properties": {
                "Authorization": {"type": "string", "pattern": "^Bearer .+"},
                "Sec-WebSocket-Protocol": {
                    "type": "string",
                    "description": f"`{BEARER_SUBPROTOCOL}, <access JWT>` (browsers).",
                },
            },
        },
        "query": {
            "type": "object",
            "properties": {"token": {"type": "string", "description": "The access JWT."}},
        },
    }


def _security_schemes() -> Schema:
    return {
        "bearerHeader": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`Authorization: Bearer <access JWT>` on the handshake.",
        },
        "bearerSubprotocol": {
            "type": "httpApiKey",
            "in": "header",
            "name": "Sec-WebSocket-Protocol",
            "description": f'Subprotocols `["{BEARER_SUBPROTOCOL}", <access JWT>]`, for '
            "browsers, which cannot set headers on a WebSocket.",
        },
        "queryToken": {
            "type": "httpApiKey",
            "in": "query",
            "name": "token",
            "description": "`?token=<access JWT>`, the last resort (never logged by the server).",
        },
    }
