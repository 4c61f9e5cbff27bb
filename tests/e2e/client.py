"""A small WebSocket client for the end-to-end tests, built on `websockets`.

A background task reads every frame as soon as it arrives, so a test can wait for the frame it
cares about while everything else (presence, typing...) is still recorded, and the socket never
stalls on unread frames.
"""

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from typing import Any, Protocol
from urllib.parse import quote
from uuid import UUID

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin, Subprotocol

WAIT_SECONDS = 5


class Endpoint(Protocol):
    """Where a socket connects: a daphne process, or the launcher's one port for several."""

    @property
    def ws_url(self) -> str: ...


class HttpEndpoint(Protocol):
    @property
    def http_url(self) -> str: ...


def http_json(
    server: HttpEndpoint, path: str, *, token: str | None = None, body: Any = None
) -> Any:
    """GET (or POST `body`) as JSON; the parsed answer. Blocking: run it in a thread."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{server.http_url}{path}", data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


async def api_json(server: HttpEndpoint, path: str, **options: Any) -> Any:
    """`http_json` from a test's event loop."""
    return await asyncio.to_thread(http_json, server, path, **options)


# Called with each frame as it arrives, and its arrival time (time.monotonic()).
FrameHook = Callable[[dict, float], None]


async def open_connection(
    server: Endpoint,
    token: str | None,
    *,
    carrier: str = "header",
    origin: str | None = None,
) -> ClientConnection:
    """Open a raw connection, passing the token the way `carrier` says:
    "header" (Authorization), "subprotocol" (["bearer", token]) or "query" (?token=)."""
    url = server.ws_url
    headers: dict[str, str] = {}
    subprotocols: list[Subprotocol] | None = None
    if token is not None:
        if carrier == "header":
            headers["Authorization"] = f"Bearer {token}"
        elif carrier == "subprotocol":
            subprotocols = [Subprotocol("bearer"), Subprotocol(token)]
        elif carrier == "query":
            url = f"{url}?token={quote(token)}"
        else:
            raise ValueError(f"unknown token carrier {carrier!r}")
    return await connect(
        url,
        additional_headers=headers,
        subprotocols=subprotocols,
        origin=Origin(origin) if origin is not None else None,
        open_timeout=WAIT_SECONDS,
        close_timeout=2,
        max_size=None,
        # Frame-size limits apply to what is on the wire: send it uncompressed.
        compression=None,
    )


class Socket:
    """One client socket: JSON frames out, every frame in recorded in arrival order (and handed
    to `on_frame`, if given, the moment it arrives)."""

    def __init__(self, connection: ClientConnection, *, on_frame: FrameHook | None = None) -> None:
        self.connection = connection
        self.frames: list[dict] = []
        self._on_frame = on_frame
        self._inbox: asyncio.Queue[dict] = asyncio.Queue()
        self.closed = asyncio.Event()
        self.closed_at: float | None = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls, server: Endpoint, token: str, *, on_frame: FrameHook | None = None, **options
    ) -> "Socket":
        return cls(await open_connection(server, token, **options), on_frame=on_frame)

    async def _read(self) -> None:
        try:
            async for raw in self.connection:
                frame = json.loads(raw)
                self.frames.append(frame)
                if self._on_frame is not None:
                    self._on_frame(frame, time.monotonic())
                self._inbox.put_nowait(frame)
        except ConnectionClosed:
            pass
        finally:
            self.closed_at = time.monotonic()
            self.closed.set()

    # --- sending --------------------------------------------------------------------------
    async def send(self, frame: dict) -> None:
        await self.connection.send(json.dumps(frame))

    async def send_raw(self, data: str | bytes) -> None:
        await self.connection.send(data)

    async def join(self, request_id: UUID | str, *, after_seq: int | None = None) -> dict:
        frame: dict[str, str | int] = {"type": "join-request", "request_id": str(request_id)}
        if after_seq is not None:
            frame["after_seq"] = after_seq
        await self.send(frame)
        return await self.expect("joined", request_id=str(request_id))

    async def say(
        self, request_id: UUID | str, content: str, *, client_id: str | None = None
    ) -> None:
        frame = {"type": "send-message", "request_id": str(request_id), "content": content}
        if client_id is not None:
            frame["client_id"] = client_id
        await self.send(frame)

    # --- receiving ------------------------------------------------------------------------
    async def expect(self, frame_type: str, *, timeout: float = WAIT_SECONDS, **fields) -> dict:
        """The next frame of this type whose top-level fields match; others are passed over."""

        async def wait() -> dict:
            while True:
                frame = await self._inbox.get()
                if frame.get("type") == frame_type and all(
                    frame.get(key) == value for key, value in fields.items()
                ):
                    return frame

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"no {frame_type!r} frame matching {fields} within {timeout}s; "
                f"received: {self.frames[-10:]}"
            ) from None

    def messages(self, request_id) -> list[dict]:
        """Every chat message received for this request, in arrival order."""
        return [
            frame["message"]
            for frame in self.frames
            if frame.get("type") == "new-message"
            and frame["message"]["request_id"] == str(request_id)
        ]

    def seqs(self, request_id) -> list[int]:
        return [message["seq"] for message in self.messages(request_id)]

    async def wait_for_messages(self, request_id, count: int, *, timeout: float) -> list[dict]:
        """Wait until `count` messages arrived for the request (or give up after timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.messages(request_id)) < count and loop.time() < deadline:
            if self.closed.is_set():
                break
            await asyncio.sleep(0.05)
        return self.messages(request_id)

    # --- closing --------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return not self.closed.is_set()

    async def wait_closed(self, *, timeout: float) -> int | None:
        """Wait for the server to close the socket; the close code it sent."""
        try:
            await asyncio.wait_for(self.closed.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"socket still open after {timeout}s") from None
        return self.connection.close_code

    async def close(self) -> None:
        with suppress(Exception):
            await self.connection.close()
        with suppress(Exception):
            await asyncio.wait_for(self._reader, 3)
