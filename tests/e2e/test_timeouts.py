"""The timeouts run inside every server process: with two processes running them, a request
that times out is requeued (or closed) exactly once, and both sides hear it."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, Pair, active_pair, in_db
from tests.e2e.servers import DaphneServer

pytestmark = E2E

# Long enough for the sockets to open and join first, short enough to keep the test quick.
TIMEOUT = "2"
# The timeout, a check interval (0.5 s) and some slack for a loaded machine.
WAIT = 6


def _timeline(request_id) -> list[tuple[str, str | None]]:
    from support.models import RequestEvent

    events = RequestEvent.objects.filter(request_id=request_id).order_by("at", "id")
    return [(e.event, e.detail.get("reason")) for e in events]


@asynccontextmanager
async def _chatting(servers: list[DaphneServer]) -> AsyncIterator[tuple[Pair, Socket, Socket]]:
    """An ACTIVE request, its customer joined on one process and its expert on the other."""
    server_a, server_b = servers
    pair = await active_pair()
    user = await Socket.open(server_a, pair.user_token)
    expert = await Socket.open(server_b, pair.expert_token)
    try:
        await user.join(pair.request_id)
        await expert.join(pair.request_id)
        yield pair, user, expert
    finally:
        await user.close()
        await expert.close()


def _updates(socket: Socket, status: str) -> list[dict]:
    return [
        frame
        for frame in socket.frames
        if frame["type"] == "request-updated" and frame["request"]["status"] == status
    ]


async def test_an_unanswered_request_is_requeued_once_and_both_sides_hear_it(launch_servers):
    servers = launch_servers(2, FIRST_RESPONSE_TIMEOUT=TIMEOUT)
    async with _chatting(servers) as (pair, user, expert):
        await user.say(pair.request_id, "Hello? Anyone there?")

        for socket in (user, expert):
            update = await socket.expect("request-updated", timeout=WAIT)
            assert (update["request"]["status"], update["request"]["expert"]) == ("REQUESTED", None)
        # Both processes kept running the job meanwhile: nothing more happens.
        await asyncio.sleep(2)
        assert len(_updates(user, "REQUESTED")) == len(_updates(expert, "REQUESTED")) == 1
        assert await in_db(_timeline, pair.request_id) == [("requeued", "first_response_timeout")]
        # The expert it left is out of the room.
        await expert.send({"type": "join-request", "request_id": str(pair.request_id)})
        assert (await expert.expect("error"))["code"] == "not_found"


async def test_an_idle_request_is_closed_once_and_both_sides_hear_it(launch_servers):
    servers = launch_servers(2, INACTIVITY_CLOSE_AFTER=TIMEOUT)
    async with _chatting(servers) as (pair, user, expert):
        for socket in (user, expert):
            update = await socket.expect("request-updated", timeout=WAIT)
            assert update["request"]["status"] == "CLOSED"
        await asyncio.sleep(2)
        assert len(_updates(user, "CLOSED")) == len(_updates(expert, "CLOSED")) == 1
        assert await in_db(_timeline, pair.request_id) == [("closed", "inactivity")]
