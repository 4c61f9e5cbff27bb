"""The bench's WebSocket clients: one asyncio loop driving every socket.

Each user/expert pair is a Room. The user's socket sends; the expert's socket receives, and the
receipt time minus the sender's perf_counter() stamp (same process, same clock) is the latency.
Every socket checks that the seqs it receives go 1, 2, 3... with no repeat and no gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.prepare import PairSpec
from bench.stats import Integrity, Phase

CONNECT_TIMEOUT_SECONDS = 30
# How long a client refused with 503 keeps retrying (the storm scenario).
BUSY_RETRY_BUDGET_SECONDS = 60
JOIN_TIMEOUT_SECONDS = 15
CONTENT = "Hello! My order has not arrived yet, could you check it for me please? "


async def open_socket(url: str, token: str) -> ClientConnection:
    return await connect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        compression=None,  # no zlib state per socket on either side
        ping_interval=None,  # the server pings; client pings would only add load
        open_timeout=CONNECT_TIMEOUT_SECONDS,
        close_timeout=2,
        max_size=2**20,
    )


@dataclass(eq=False)
class Peer:
    ws: ClientConnection
    room: Room | None = None
    last_seq: int = 0
    seen: set[int] = field(default_factory=set)
    pending: dict[str, asyncio.Future] = field(default_factory=dict)
    reader: asyncio.Task | None = None

    @property
    def local_port(self) -> int:
        return self.ws.local_address[1]

    def expect(self, ref: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.pending[ref] = future
        return future

    def resolve(self, ref: str | None, frame: dict) -> None:
        future = self.pending.pop(ref, None) if ref else None
        if future is not None and not future.done():
            future.set_result(frame)


@dataclass(eq=False)
class Room:
    spec: PairSpec
    user: Peer
    expert: Peer
    stamps: dict[str, float] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    received: set[str] = field(default_factory=set)
    sequence: int = 0

    def next_client_id(self) -> str:
        self.sequence += 1
        return f"b{self.sequence}-{self.spec.request_id[:8]}"

    @property
    def settled(self) -> bool:
        return len(self.acked) + len(self.refused) >= len(self.stamps) and (
            self.acked <= self.received
        )


class Fleet:
    """Every socket of a scenario, the current phase's counters, and the seq checks."""

    def __init__(self, urls: list[str]):
        # One URL, or one per server process (`--listen ports`): sockets go to each in turn.
        self.urls = urls
        self._connects = 0
        self.phase = Phase(name="setup")
        self.rooms: list[Room] = []
        self.lone: list[Peer] = []
        self.duplicates = 0
        self.order_violations = 0
        self.unexpected_closes: Counter = Counter()
        self.connect_failures: Counter = Counter()
        # Handshakes refused with 503 (the server's admission control) and retried.
        self.busy_refusals = 0
        self.closing = False
        self.cut_off = False  # a settle ran out of time with messages still in flight

    # --- connecting ----------------------------------------------------------------------------
    def next_url(self) -> str:
        url = self.urls[self._connects % len(self.urls)]
        self._connects += 1
        return url

    async def connect(
        self, token: str, *, retry_when_busy: bool = False, url: str | None = None
    ) -> Peer | None:
        """Open one socket. With `retry_when_busy`, a 503 is retried the way docs/websocket.md
        tells clients to: after Retry-After plus jitter, within BUSY_RETRY_BUDGET_SECONDS."""
        deadline = time.monotonic() + BUSY_RETRY_BUDGET_SECONDS
        url = url or self.next_url()
        while True:
            try:
                ws = await open_socket(url, token)
                break
            except Exception as exc:  # noqa: BLE001 - a refused or timed-out handshake is measured
                response = getattr(exc, "response", None)
                status = getattr(response, "status_code", None)
                if retry_when_busy and status == 503 and time.monotonic() < deadline:
                    self.busy_refusals += 1
                    retry_after = float(response.headers.get("Retry-After", "1"))  # type: ignore[union-attr]
                    await asyncio.sleep(retry_after + random.uniform(0, 1))
                    continue
                self.connect_failures[f"{type(exc).__name__}{f' {status}' if status else ''}"] += 1
                return None
        peer = Peer(ws=ws)
        peer.reader = asyncio.create_task(self._read(peer))
        return peer

    async def join(self, peer: Peer, request_id: str) -> None:
        ref = f"join:{request_id}"
        answer = peer.expect(ref)
        await peer.ws.send(
            json.dumps({"type": "join-request", "request_id": request_id, "ref": ref})
        )
        frame = await asyncio.wait_for(answer, JOIN_TIMEOUT_SECONDS)
        if frame.get("type") != "joined":
            raise RuntimeError(f"join refused: {frame}")
        peer.last_seq = int(frame.get("last_seq") or 0)

    async def open_room(self, spec: PairSpec, limit: asyncio.Semaphore) -> Room | None:
        async with limit:
            # With one URL per worker, the user on one and the expert on the next: every
            # worker gets as many senders as receivers.
            user_url = self.next_url()
            expert_url = self.urls[(self.urls.index(user_url) + 1) % len(self.urls)]
            user, expert = await asyncio.gather(
                self.connect(spec.user_token, url=user_url),
                self.connect(spec.expert_token, url=expert_url),
            )
            if user is None or expert is None:
                return None
            room = Room(spec=spec, user=user, expert=expert)
            user.room = expert.room = room
            joins = await asyncio.gather(
                self.join(user, spec.request_id),
                self.join(expert, spec.request_id),
                return_exceptions=True,
            )
            failures = [result for result in joins if isinstance(result, Exception)]
            if failures:
                self.connect_failures[f"join: {failures[0]}"[:80]] += 1
                self.lone.extend([user, expert])  # closed with the others at the end
                return None
            return room

    async def open_rooms(self, specs: list[PairSpec], *, concurrency: int = 200) -> list[Room]:
        limit = asyncio.Semaphore(concurrency)
        rooms = await asyncio.gather(*(self.open_room(spec, limit) for spec in specs))
        opened = [room for room in rooms if room is not None]
        self.rooms.extend(opened)
        return opened

    async def open_lone(
        self, tokens: list[str], *, concurrency: int | None = None, retry_when_busy: bool = False
    ) -> int:
        limit = asyncio.Semaphore(concurrency or len(tokens) or 1)

        async def one(token: str) -> Peer | None:
            async with limit:
                return await self.connect(token, retry_when_busy=retry_when_busy)

        peers = [peer for peer in await asyncio.gather(*(one(t) for t in tokens)) if peer]
        self.lone.extend(peers)
        return len(peers)

    # --- sending and receiving -----------------------------------------------------------------
    async def send_message(self, room: Room, *, stamp: float) -> asyncio.Future:
        """Send one message stamped with `stamp`; the future resolves on the ack or error."""
        client_id = room.next_client_id()
        room.stamps[client_id] = stamp
        answer = room.user.expect(client_id)
        frame = {
            "type": "send-message",
            "request_id": room.spec.request_id,
            "content": CONTENT,
            "client_id": client_id,
            "ref": client_id,
        }
        self.phase.sent += 1
        await room.user.ws.send(json.dumps(frame))
        return answer

    async def _read(self, peer: Peer) -> None:
        try:
            async for raw in peer.ws:
                self._on_frame(peer, json.loads(raw))
        except ConnectionClosed:
            pass
        finally:
            if not self.closing:
                self.unexpected_closes[str(peer.ws.close_code)] += 1
            for future in peer.pending.values():
                if not future.done():
                    future.set_result({"type": "error", "code": "closed"})

    def _on_frame(self, peer: Peer, frame: dict) -> None:
        now = time.perf_counter()
        kind = frame.get("type")
        if kind == "new-message":
            self._on_message(peer, frame["message"], now)
        elif kind == "joined":
            peer.resolve(f"join:{frame.get('request_id')}", frame)
        elif kind == "error":
            self.phase.errors[frame.get("code", "?")] += 1
            ref = frame.get("ref")
            if peer.room is not None and ref in peer.room.stamps:
                peer.room.refused.add(ref)
            peer.resolve(ref, frame)

    def _on_message(self, peer: Peer, message: dict, now: float) -> None:
        seq = int(message["seq"])
        if seq in peer.seen:
            self.duplicates += 1
            return
        if seq != peer.last_seq + 1:
            self.order_violations += 1
        peer.seen.add(seq)
        peer.last_seq = max(peer.last_seq, seq)
        room, client_id = peer.room, message.get("client_id")
        if room is None or client_id not in room.stamps:
            return
        if peer is room.expert:
            room.received.add(client_id)
            self.phase.record_receipt(latency=now - room.stamps[client_id], now=now)
        elif client_id not in room.acked:
            room.acked.add(client_id)
            self.phase.record_ack(latency=now - room.stamps[client_id])
            peer.resolve(client_id, message)

    # --- ending --------------------------------------------------------------------------------
    async def settle(self, *, timeout: float) -> None:
        """Wait (bounded) until every sent message is acked or refused and every ack received.
        If the time runs out first, the server was still working through a backlog: what is
        missing then is reported as undelivered at the cut-off, not as lost."""
        deadline = time.perf_counter() + timeout
        # Polled: "settled" is a property of many rooms, each updated by its own socket's task.
        while time.perf_counter() < deadline and not all(room.settled for room in self.rooms):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        self.cut_off = self.cut_off or not all(room.settled for room in self.rooms)

    async def close(self) -> None:
        self.closing = True
        peers = [p for room in self.rooms for p in (room.user, room.expert)] + self.lone
        limit = asyncio.Semaphore(500)

        async def close_one(peer: Peer) -> None:
            async with limit:
                with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
                    await asyncio.wait_for(peer.ws.close(), 5)

        await asyncio.gather(*(close_one(peer) for peer in peers))
        readers = [peer.reader for peer in peers if peer.reader]
        if readers:
            await asyncio.wait(readers, timeout=5)

    def integrity(self, stored: dict[str, Counter]) -> Integrity:
        """Compare what the sockets saw with what the database holds (client_id counts)."""
        result = Integrity(
            duplicates=self.duplicates,
            order_violations=self.order_violations,
            unexpected_closes=sum(self.unexpected_closes.values()),
        )
        result.cut_off = self.cut_off
        for room in self.rooms:
            in_db = stored.get(room.spec.request_id, Counter())
            bench_ids = {cid for cid in in_db if cid in room.stamps}
            result.stored += sum(in_db[cid] for cid in bench_ids)
            missing = len(room.acked - room.received)
            if self.cut_off:
                result.undelivered_at_cut_off += missing
            else:
                result.lost += missing
            result.unacked += len(room.stamps) - len(room.acked | room.refused)
            result.acked_not_stored += len(room.acked - bench_ids)
            result.stored_twice += sum(1 for cid in bench_ids if in_db[cid] > 1)
            result.stored_not_acked += len(bench_ids - room.acked)
        return result
