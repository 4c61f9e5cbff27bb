"""Beyond one Redis: server processes sharing several Redis servers (REDIS_URL with
comma-separated URLs, the channel layer sharding across them) and a Redis found through Sentinel
(`redis+sentinel://`). Both Redis set-ups are started here, on free loopback ports."""

import asyncio
import shutil
import urllib.error
import uuid
from collections.abc import Iterator

import pytest
import redis

from tests.e2e.client import Socket, api_json
from tests.e2e.faults.services import ThrowawayRedis, ThrowawaySentinel
from tests.e2e.scenario import E2E, Pair, active_pairs, in_db
from tests.e2e.test_delivery import (
    MESSAGES_EACH,
    _assert_exactly_once_in_order,
    _send_series,
    _stored_seqs,
)

pytestmark = [
    *E2E,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server on PATH"),
]

PROCESSES = 4
PAIRS = 8


@pytest.fixture
def two_redis() -> Iterator[tuple[ThrowawayRedis, ThrowawayRedis]]:
    servers = (ThrowawayRedis.create(), ThrowawayRedis.create())
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.destroy()


@pytest.fixture
def sentinel() -> Iterator[ThrowawaySentinel]:
    """A master and one sentinel watching it."""
    master = ThrowawayRedis.create()
    watcher = ThrowawaySentinel.watching(master)
    try:
        master.start()
        watcher.start()
        yield watcher
    finally:
        watcher.destroy()
        master.destroy()


def _room_groups(server: ThrowawayRedis, prefix: str) -> set[str]:
    """The room groups some server process is subscribed to on this Redis."""
    client = redis.Redis(port=server.port, decode_responses=True)
    try:
        return {str(name) for name in client.pubsub_channels(f"{prefix}:asgi__group__request.*")}
    finally:
        client.close()


async def _chat(pair: Pair, user: Socket, expert: Socket) -> None:
    await asyncio.gather(
        _send_series(user, pair, "user", MESSAGES_EACH),
        _send_series(expert, pair, "expert", MESSAGES_EACH),
    )
    for side in (user, expert):
        await side.wait_for_messages(pair.request_id, 2 * MESSAGES_EACH, timeout=30)


async def test_four_processes_over_two_redis_servers_deliver_every_message_once_in_order(
    launch_servers, two_redis
):
    prefix = f"shards-{uuid.uuid4().hex[:8]}"
    servers = launch_servers(
        PROCESSES, REDIS_URL=",".join(r.url for r in two_redis), REDIS_PREFIX=prefix
    )
    pairs = await active_pairs(PAIRS)
    # Pair i: the customer on process i, the expert on the next one (every pair crosses
    # processes, and every process holds customers and experts).
    sockets = []
    try:
        for index, pair in enumerate(pairs):
            user = await Socket.open(servers[index % PROCESSES], pair.user_token)
            expert = await Socket.open(servers[(index + 1) % PROCESSES], pair.expert_token)
            sockets.append((user, expert))
            await user.join(pair.request_id)
            await expert.join(pair.request_id)

        # The rooms are spread over both Redis servers, each room on exactly one.
        rooms = [await asyncio.to_thread(_room_groups, r, prefix) for r in two_redis]
        assert all(rooms), f"a Redis server carries no room: {rooms}"
        assert not rooms[0] & rooms[1]
        assert len(rooms[0] | rooms[1]) == PAIRS

        await asyncio.gather(
            *(_chat(pair, *sides) for pair, sides in zip(pairs, sockets, strict=True))
        )
        await asyncio.sleep(0.5)  # time for a late duplicate to show up
        for pair, (user, expert) in zip(pairs, sockets, strict=True):
            _assert_exactly_once_in_order(user.messages(pair.request_id), pair, MESSAGES_EACH)
            _assert_exactly_once_in_order(expert.messages(pair.request_id), pair, MESSAGES_EACH)
            stored = await in_db(_stored_seqs, pair.request_id)
            assert stored == list(range(1, 2 * MESSAGES_EACH + 1))
    finally:
        for user, expert in sockets:
            await user.close()
            await expert.close()


async def test_the_channel_layer_and_the_cache_work_through_redis_sentinel(
    launch_servers, sentinel
):
    prefix = f"sentinel-{uuid.uuid4().hex[:8]}"
    url = f"redis+sentinel://127.0.0.1:{sentinel.port}/{sentinel.MASTER_NAME}/0"
    server_a, server_b = launch_servers(2, REDIS_URL=url, REDIS_PREFIX=prefix)
    (pair,) = await active_pairs(1)

    # The layer: a message from one process reaches the other.
    user = await Socket.open(server_a, pair.user_token)
    expert = await Socket.open(server_b, pair.expert_token)
    try:
        await user.join(pair.request_id)
        await expert.join(pair.request_id)
        await user.say(pair.request_id, "Through the sentinel's master")
        heard = await expert.expect("new-message")
        assert heard["message"]["content"] == "Through the sentinel's master"
    finally:
        await user.close()
        await expert.close()

    # The cache: the login throttle counts in the master, so both processes share the count.
    answers = [
        await _login_status(server, "nobody@example.com") for server in (server_a, server_b) * 6
    ]
    assert answers[:10] == [401] * 10
    assert answers[10:] == [429, 429]
    master = redis.Redis(port=sentinel.master_port)
    try:
        assert master.keys(f"{prefix}:*login-attempts*")
    finally:
        master.close()


async def _login_status(server, email: str) -> int:
    try:
        await api_json(server, "/api/auth/login/", body={"email": email, "password": "wrong"})
    except urllib.error.HTTPError as error:
        return error.code
    return 200
