"""Beyond one Redis: server processes sharing several Redis servers (REDIS_URL with
comma-separated URLs, the channel layer sharding across them) and a Redis found through Sentinel
(`redis+sentinel://`). Both Redis set-ups are started here, on free loopback ports."""

import asyncio
import shutil
import time
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
    _chat_and_collect,
    _send_series,
    _stored_seqs,
)

pytestmark = [
    *E2E,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server on PATH"),
]

PROCESSES = 4
PAIRS = 8
# At 9 a second each side, the chat outlasts the failover and the old master's demotion.
FAILOVER_MESSAGES_EACH = 90


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
def sentinel() -> Iterator[tuple[ThrowawaySentinel, ThrowawayRedis]]:
    """A master, its replica, and one sentinel watching them; the sentinel and the replica."""
    master = ThrowawayRedis.create()
    replica = ThrowawayRedis.create(replica_of=master.port)
    watcher = ThrowawaySentinel.watching(master)
    try:
        for server in (master, replica, watcher):
            server.start()
        yield watcher, replica
    finally:
        for server in (watcher, replica, master):
            server.destroy()


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


def _sentinel_url(sentinel: ThrowawaySentinel) -> str:
    return f"redis+sentinel://127.0.0.1:{sentinel.port}/{sentinel.MASTER_NAME}/0"


async def test_the_channel_layer_and_the_cache_work_through_redis_sentinel(
    launch_servers, sentinel
):
    sentinel, _replica = sentinel
    prefix = f"sentinel-{uuid.uuid4().hex[:8]}"
    server_a, server_b = launch_servers(2, REDIS_URL=_sentinel_url(sentinel), REDIS_PREFIX=prefix)
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


async def test_messages_sent_across_a_sentinel_failover_arrive_once_and_in_order(
    launch_servers, sentinel
):
    """The replica is promoted while pairs chat. The processes' new connections go to it at
    once; their subscriptions stay on the old master until it is demoted (seconds later) and
    drops them. Meanwhile broadcasts are lost, and the catch-up from the database delivers."""
    sentinel, replica = sentinel
    servers = launch_servers(2, REDIS_URL=_sentinel_url(sentinel))
    pairs = await active_pairs(4)

    async def fail_over() -> None:
        await asyncio.sleep(1)
        # The sentinel learns of the replica from the master within a few seconds.
        assert await until(_failover_started, sentinel, seconds=15)
        assert await until(lambda: sentinel.master() == ("127.0.0.1", replica.port), seconds=15)

    await asyncio.gather(
        fail_over(),
        *(
            _chat_and_collect(
                pair,
                servers[index % 2],
                servers[(index + 1) % 2],
                count_each=FAILOVER_MESSAGES_EACH,
                wait_seconds=30,
            )
            for index, pair in enumerate(pairs)
        ),
    )
    for pair in pairs:
        stored = await in_db(_stored_seqs, pair.request_id)
        assert stored == list(range(1, 2 * FAILOVER_MESSAGES_EACH + 1))


def _failover_started(sentinel: ThrowawaySentinel) -> bool:
    try:
        sentinel.fail_over()
    except redis.ResponseError:  # NOGOODSLAVE: no replica known to it yet
        return False
    return True


async def until(predicate, *args, seconds: float) -> bool:
    """Ask `predicate` (blocking, in a thread) until it is true or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await asyncio.to_thread(predicate, *args):
            return True
        await asyncio.sleep(0.2)
    return False
