"""One side of a chat that keeps going through faults, the way docs/websocket.md tells clients
to: every message has a client_id and stays pending until a `new-message` carrying it comes
back; after `server_error` it is sent again once `retry_after` has passed; when the socket drops,
the client reconnects with jittered backoff, re-joins with `after_seq` = the highest seq it has
seen, and sends its pending message again with the same client_id.

It records what a test needs to judge the server: every socket it had and the seqs each one
received, when each of its messages was acknowledged, every frame that expected an answer and
the answer, and the presence frames it got about the other participant.
"""

import asyncio
import random
import time
from dataclasses import dataclass, field
from functools import partial
from uuid import UUID

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.e2e.client import Endpoint, Socket
from tests.e2e.faults.database import Person

# SPEC: a frame that needs a missing service is answered (`server_error`) within 5 s, never
# met with silence. A client that hears nothing for that long sends it again.
ANSWER_SECONDS = 5.0
# When a `server_error` does not say when to retry.
DEFAULT_RETRY_AFTER_SECONDS = 0.5
RECONNECT_FIRST_DELAY_SECONDS = 0.1
RECONNECT_MAX_DELAY_SECONDS = 1.0
# A person typing: one message, its acknowledgement, a pause, the next one. Well under the
# per-socket limit of 10 messages a second, retries included.
PAUSE_BETWEEN_MESSAGES_SECONDS = 0.25
# Far more frames than a scenario needs (about 4 a second for a minute at most).
MAX_ATTEMPTS = 1000


@dataclass(eq=False)
class Attempt:
    """One frame that expects an answer (an ack, `joined` or an `error`), and that answer."""

    frame_type: str
    ref: str
    sent_at: float
    answered_at: float | None = None
    answer: dict | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


@dataclass(eq=False)
class OwnMessage:
    """A message this participant wants delivered; `acked_at` once its `new-message` came."""

    client_id: str
    content: str
    acked_at: float | None = None
    seq: int | None = None
    acked: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


@dataclass(eq=False)
class Connection:
    """One socket of the participant, from its handshake to its close."""

    number: int
    endpoint: str
    opened_at: float = 0.0
    # The after_seq of the join: the first message this socket must receive is after_seq + 1.
    after_seq: int = 0
    seqs: list[int] = field(default_factory=list)
    # (arrival time, frame) of every `presence` frame about the other participant.
    presence: list[tuple[float, dict]] = field(default_factory=list)
    local_port: int | None = None
    closed_at: float | None = None
    close_code: int | None = None
    closed_by_us: bool = False

    @property
    def closed_by_server(self) -> bool:
        return self.closed_at is not None and not self.closed_by_us


async def first_of(*events: asyncio.Event, timeout: float | None = None) -> None:
    """Wait until one of the events is set, or `timeout` seconds."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def retry_after(answer: dict) -> float:
    value = answer.get("retry_after")
    return float(value) if isinstance(value, int | float) else DEFAULT_RETRY_AFTER_SECONDS


class Participant:
    """A customer or an expert in one request's chat, on one socket at a time."""

    def __init__(
        self,
        *,
        name: str,
        me: Person,
        other_id: UUID,
        request_id: UUID,
        endpoint: Endpoint,
        fallbacks: list[Endpoint] | None = None,
    ) -> None:
        self.name = name
        self.user_id = str(me.user_id)
        self.token = me.token
        self.other_id = str(other_id)
        self.request_id = str(request_id)
        # Where to connect: the home endpoint while it is up, else the next one (as a load
        # balancer would send a reconnecting client to a live process).
        self.endpoints = [endpoint, *(fallbacks or [])]
        self.connections: list[Connection] = []
        self.messages: dict[str, OwnMessage] = {}
        self.attempts: list[Attempt] = []
        # seq -> (first arrival, message), over all of this participant's sockets.
        self.received: dict[int, tuple[float, dict]] = {}
        self.connect_failures: list[tuple[float, str]] = []
        self.last_seq = 0
        # Turned off to let the chat drain; the pending message is still sent until acked.
        self.sending = True
        self.socket: Socket | None = None
        self._head: OwnMessage | None = None
        self._attempts_by_ref: dict[str, Attempt] = {}
        self._serial = 0
        self._finished = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- what the scenario asks -------------------------------------------------------------

    def acked(self, *, since: float = 0.0) -> list[OwnMessage]:
        return [m for m in self.messages.values() if m.acked_at is not None and m.acked_at >= since]

    @property
    def pending(self) -> OwnMessage | None:
        head = self._head
        return head if head is not None and head.acked_at is None else None

    @property
    def connection(self) -> Connection | None:
        return self.connections[-1] if self.connections else None

    def never_disconnected(self) -> bool:
        return len(self.connections) == 1 and not self.connections[0].closed_by_server

    # --- running ----------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"participant {self.name}")

    async def finish(self) -> None:
        """Close the socket and stop; re-raises whatever ended the participant's task."""
        self._finished.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._finished.is_set():
            opened = await self._connect()
            if opened is None:
                return
            socket, connection = opened
            try:
                await self._converse(socket, connection)
            finally:
                if not socket.closed.is_set():
                    connection.closed_by_us = True
                    await socket.close()
                connection.closed_at = socket.closed_at
                connection.close_code = socket.connection.close_code

    def _endpoint(self, attempt: int) -> Endpoint:
        return self.endpoints[attempt % len(self.endpoints)]

    async def _connect(self) -> tuple[Socket, Connection] | None:
        delay = RECONNECT_FIRST_DELAY_SECONDS
        failures = 0
        while not self._finished.is_set():
            endpoint = self._endpoint(failures)
            connection = Connection(number=len(self.connections) + 1, endpoint=endpoint.ws_url)
            try:
                socket = await Socket.open(
                    endpoint, self.token, on_frame=partial(self._on_frame, connection)
                )
            except (OSError, TimeoutError, InvalidHandshake) as exc:
                failures += 1
                self.connect_failures.append((time.monotonic(), f"{type(exc).__name__}: {exc}"))
                await first_of(self._finished, timeout=delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, RECONNECT_MAX_DELAY_SECONDS)
                continue
            connection.opened_at = time.monotonic()
            connection.local_port = socket.connection.local_address[1]
            self.connections.append(connection)
            self.socket = socket
            return socket, connection
        return None

    async def _converse(self, socket: Socket, connection: Connection) -> None:
        if not await self._join(socket, connection):
            return
        while not self._finished.is_set():
            message = self.pending
            if message is None and self.sending:
                message = self._head = self._compose()
            if message is None:
                await first_of(socket.closed, self._finished)
                return
            frame = {
                "type": "send-message",
                "request_id": self.request_id,
                "content": message.content,
                "client_id": message.client_id,
            }
            answer = await self._attempt(socket, frame, also=message.acked)
            if socket.closed.is_set():
                return
            if message.acked_at is not None:
                await first_of(self._finished, timeout=PAUSE_BETWEEN_MESSAGES_SECONDS)
            elif answer is not None and answer["type"] == "error":
                await first_of(self._finished, socket.closed, timeout=retry_after(answer))
            # No answer at all in ANSWER_SECONDS: send it again at once.

    async def _join(self, socket: Socket, connection: Connection) -> bool:
        """Join the room, replaying everything after the highest seq seen; False if the socket
        closed first."""
        while not self._finished.is_set():
            connection.after_seq = self.last_seq
            frame = {
                "type": "join-request",
                "request_id": self.request_id,
                "after_seq": self.last_seq,
            }
            answer = await self._attempt(socket, frame)
            if socket.closed.is_set():
                return False
            if answer is not None and answer["type"] == "joined":
                return True
            if answer is not None:
                await first_of(self._finished, socket.closed, timeout=retry_after(answer))
        return False

    async def probe(self, frame: dict) -> Attempt | None:
        """Send one extra frame on the current socket and wait (bounded) for its answer."""
        socket = self.socket
        if socket is None or socket.closed.is_set():
            return None
        attempt = self._new_attempt(frame["type"])
        await self._send(socket, {**frame, "ref": attempt.ref})
        await first_of(attempt.answered, socket.closed, timeout=ANSWER_SECONDS)
        return attempt

    @staticmethod
    async def _send(socket: Socket, frame: dict) -> None:
        """Send, or wait (bounded) for the reader to notice the socket closed: the send fails
        at once on a closed connection, and retrying at once would never let the reader run."""
        try:
            await socket.send(frame)
        except ConnectionClosed:
            await first_of(socket.closed, timeout=ANSWER_SECONDS)

    def _new_attempt(self, frame_type: str) -> Attempt:
        # A bug in this client must fail the test, not eat the machine's memory.
        assert len(self.attempts) < MAX_ATTEMPTS, f"{self.name}: {len(self.attempts)} frames sent"
        self._serial += 1
        attempt = Attempt(frame_type, ref=f"{self.name}/{self._serial}", sent_at=time.monotonic())
        self.attempts.append(attempt)
        self._attempts_by_ref[attempt.ref] = attempt
        return attempt

    async def _attempt(
        self, socket: Socket, frame: dict, *, also: asyncio.Event | None = None
    ) -> dict | None:
        """Send a frame that expects an answer; the answer, or None if none came within
        ANSWER_SECONDS (or `also` was set first: a message acknowledged by its replay)."""
        attempt = self._new_attempt(frame["type"])
        await self._send(socket, {**frame, "ref": attempt.ref})
        events = [attempt.answered, socket.closed, *([also] if also is not None else [])]
        await first_of(*events, timeout=ANSWER_SECONDS)
        return attempt.answer

    def _compose(self) -> OwnMessage:
        number = len(self.messages) + 1
        message = OwnMessage(client_id=f"{self.name}-{number}", content=f"{self.name} #{number}")
        self.messages[message.client_id] = message
        return message

    # --- frames in ----------------------------------------------------------------------------

    def _on_frame(self, connection: Connection, frame: dict, at: float) -> None:
        kind = frame.get("type")
        if kind == "new-message" and frame["message"]["request_id"] == self.request_id:
            self._on_message(connection, frame["message"], at)
        elif kind == "presence" and frame.get("user_id") == self.other_id:
            connection.presence.append((at, frame))
        attempt = self._attempts_by_ref.get(str(frame.get("ref")))
        if attempt is not None and attempt.answer is None:
            attempt.answered_at, attempt.answer = at, frame
            attempt.answered.set()

    def _on_message(self, connection: Connection, message: dict, at: float) -> None:
        seq = message["seq"]
        connection.seqs.append(seq)
        self.received.setdefault(seq, (at, message))
        self.last_seq = max(self.last_seq, seq)
        own = self.messages.get(message.get("client_id") or "")
        if own is not None and message["sender"]["id"] == self.user_id and own.acked_at is None:
            own.acked_at, own.seq = at, seq
            own.acked.set()
