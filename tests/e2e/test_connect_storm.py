"""A connect storm is answered promptly: past the process's bound of handshakes in progress, a
handshake waits its turn for up to WS_HANDSHAKE_QUEUE_SECONDS, and is refused with 503 and
Retry-After when the wait is over or there is no queue (never left to time out); the clients
that retry as docs/websocket.md says all end up connected. The metrics count both."""

import asyncio
import random

from websockets.exceptions import InvalidStatus

from tests.e2e.client import open_connection
from tests.e2e.scenario import E2E, access_token, in_db
from tests.e2e.servers import DaphneServer
from tests.e2e.test_operability import TOKEN, scrape
from tests.factories import UserFactory

pytestmark = E2E

CLIENTS = 60


async def connect_with_backoff(server: DaphneServer, token: str, refusals: list[tuple[int, str]]):
    """The reconnect recipe: on 503, wait Retry-After plus jitter, then try again."""
    for _ in range(20):
        try:
            return await asyncio.wait_for(open_connection(server, token), timeout=5)
        except InvalidStatus as refused:
            response = refused.response
            refusals.append((response.status_code, response.headers["Retry-After"]))
            await asyncio.sleep(float(response.headers["Retry-After"]) * random.uniform(0.2, 1))
    raise AssertionError("never connected")


async def storm(server: DaphneServer) -> tuple[list, list[tuple[int, str]]]:
    """CLIENTS new users connecting at once, each by the recipe: their sockets, and every
    refusal on the way (status, Retry-After)."""
    users = await in_db(lambda: UserFactory.create_batch(CLIENTS))
    tokens = [await in_db(access_token, user) for user in users]
    refusals: list[tuple[int, str]] = []
    sockets = await asyncio.gather(
        *(connect_with_backoff(server, token, refusals) for token in tokens)
    )
    return sockets, refusals


async def counted(server: DaphneServer) -> dict[tuple[str, str | None], float]:
    return {
        (sample.name, sample.labels.get("reason")): sample.value
        for sample in await asyncio.to_thread(scrape, server.http_url)
    }


ACCEPTED = ("expert_support_websocket_handshakes_accepted_total", None)
REFUSED_BUSY = ("expert_support_websocket_handshakes_refused_total", "busy")


async def test_a_storm_past_the_bound_waits_its_turn_and_nobody_is_refused(launch_servers):
    (server,) = launch_servers(1, WS_MAX_PENDING_HANDSHAKES="4", METRICS_TOKEN=TOKEN)
    sockets, refusals = await storm(server)

    assert len(sockets) == CLIENTS
    assert refusals == []
    metrics = await counted(server)
    assert metrics[ACCEPTED] == CLIENTS
    assert metrics.get(REFUSED_BUSY, 0) == 0
    # The gauge is read every tenth of a second while any wait.
    waiting = ("expert_support_websocket_handshakes_waiting", None)
    for _ in range(20):
        if (await counted(server))[waiting] == 0:
            break
        await asyncio.sleep(0.1)
    assert (await counted(server))[waiting] == 0
    await asyncio.gather(*(socket.close() for socket in sockets))


async def test_those_not_reached_within_the_wait_get_503_and_everyone_connects(launch_servers):
    # One handshake at a time, and a wait of a hundredth of a second: most wait too long.
    (server,) = launch_servers(
        1,
        WS_MAX_PENDING_HANDSHAKES="1",
        WS_HANDSHAKE_QUEUE_SECONDS="0.01",
        METRICS_TOKEN=TOKEN,
    )
    sockets, refusals = await storm(server)

    assert len(sockets) == CLIENTS
    assert refusals, "nobody waited past the allowance"
    assert {status for status, _ in refusals} == {503}
    assert (await counted(server))[REFUSED_BUSY] == len(refusals)
    await asyncio.gather(*(socket.close() for socket in sockets))


async def test_without_a_queue_a_storm_past_the_bound_gets_503s_and_everyone_connects(
    launch_servers,
):
    (server,) = launch_servers(
        1, WS_MAX_PENDING_HANDSHAKES="4", WS_HANDSHAKE_QUEUE_SECONDS="0", METRICS_TOKEN=TOKEN
    )
    sockets, refusals = await storm(server)

    assert len(sockets) == CLIENTS
    assert refusals, "the bound of 4 was never reached"
    assert {status for status, _ in refusals} == {503}
    # Each refused client is told its own wait, spread over the time the backlog needs.
    assert all(1 <= int(retry_after) <= 10 for _, retry_after in refusals)
    metrics = await counted(server)
    assert metrics[ACCEPTED] == CLIENTS
    assert metrics[REFUSED_BUSY] == len(refusals)
    assert metrics[("expert_support_websocket_open_sockets", None)] == CLIENTS
    await asyncio.gather(*(socket.close() for socket in sockets))
