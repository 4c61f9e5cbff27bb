"""Timing a resume far behind: a socket joins the long conversation with `after_seq: 0` and
we time `joined` and the last message of the replay (median of N joins, one socket each)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass

from rest_framework_simplejwt.tokens import AccessToken
from websockets.asyncio.client import connect

from bench.data_scale.populate import LONG_CONVERSATION
from support.models import SupportRequest


@dataclass
class ReplayTiming:
    joined_ms: float
    last_message_ms: float
    calls: int


def time_replay(*, ws_url: str, calls: int) -> ReplayTiming:
    request = SupportRequest.objects.select_related("requester").get(title="A long conversation")
    token = str(AccessToken.for_user(request.requester))
    runs = [asyncio.run(_one_join(ws_url, token, str(request.pk))) for _ in range(calls)]
    return ReplayTiming(
        joined_ms=round(statistics.median(joined for joined, _ in runs), 1),
        last_message_ms=round(statistics.median(last for _, last in runs), 1),
        calls=calls,
    )


async def _one_join(ws_url: str, token: str, request_id: str) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {token}"}
    async with connect(ws_url, additional_headers=headers, max_size=None) as socket:
        began = time.perf_counter()
        await socket.send(
            json.dumps({"type": "join-request", "request_id": request_id, "after_seq": 0})
        )
        joined_at = last_at = None
        while last_at is None or joined_at is None:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=60))
            if frame["type"] == "joined":
                joined_at = time.perf_counter()
            elif frame["type"] == "new-message" and frame["message"]["seq"] == LONG_CONVERSATION:
                last_at = time.perf_counter()
            elif frame["type"] == "error":
                raise RuntimeError(f"the join was refused: {frame}")
    return (joined_at - began) * 1000, (last_at - began) * 1000
