"""Helpers for the consumer tests: real ASGI application (middleware included), real layer."""

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests.helpers.api import access_token_for

WAIT = 3


def communicator(
    token: str | None,
    *,
    carrier: str = "header",
    origin: str | None = None,
    path: str = "/ws/",
) -> WebsocketCommunicator:
    headers: list[tuple[bytes, bytes]] = []
    subprotocols = None
    if token is not None and carrier == "header":
        headers.append((b"authorization", f"Bearer {token}".encode()))
    elif token is not None and carrier == "subprotocol":
        subprotocols = ["bearer", token]
    elif token is not None and carrier == "query":
        path = f"{path}?token={token}"
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)


async def connected(user, **kwargs) -> WebsocketCommunicator:
    token = await database_sync_to_async(access_token_for)(user)
    socket = communicator(token, **kwargs)
    ok, _ = await socket.connect(timeout=WAIT)
    assert ok, "handshake was refused"
    return socket


# Frames the server sends on its own; `ask` looks past them for the answer.
UNSOLICITED = {"presence", "request-updated", "request-queued", "request-taken"}


async def ask(socket: WebsocketCommunicator, frame: dict) -> dict:
    await socket.send_json_to(frame)
    while True:
        answer = await socket.receive_json_from(timeout=WAIT)
        if answer["type"] not in UNSOLICITED:
            return answer


async def receive_until(socket: WebsocketCommunicator, frame_type: str) -> dict:
    """Skip frames of other types (presence, notifications) until one of `frame_type`."""
    while True:
        frame = await socket.receive_json_from(timeout=WAIT)
        if frame["type"] == frame_type:
            return frame


async def joined(user, request, **kwargs) -> WebsocketCommunicator:
    socket = await connected(user, **kwargs)
    answer = await ask(socket, {"type": "join-request", "request_id": str(request.pk)})
    assert answer["type"] == "joined", answer
    return socket


async def drain(socket: WebsocketCommunicator, *, skip: set[str] = UNSOLICITED) -> list[dict]:
    """Every frame already queued or arriving within a short wait, but those in `skip`."""
    frames = []
    while not await socket.receive_nothing(timeout=0.3):
        frames.append(await socket.receive_json_from(timeout=WAIT))
    return [frame for frame in frames if frame["type"] not in skip]
