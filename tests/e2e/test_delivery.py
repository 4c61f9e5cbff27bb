"""The delivery guarantee with real processes: every socket in a room receives each message
exactly once, in seq order, with no gaps — across processes, a Redis hiccup and a reconnect."""

import asyncio

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, Pair, active_pair, active_pairs, in_db
from tests.helpers.redis_connections import drop_redis_connections

pytestmark = E2E

MESSAGES_EACH = 30
# Just under the per-socket limit of 10 messages a second.
SEND_INTERVAL_SECONDS = 0.11
# Time for late duplicates to show up before the final count.
SETTLE_SECONDS = 0.5


def _stored_seqs(request_id) -> list[int]:
    from chat.models import Message

    return list(
        Message.objects.filter(request_id=request_id).order_by("seq").values_list("seq", flat=True)
    )


async def _send_series(socket: Socket, pair: Pair, label: str, count: int) -> None:
    for number in range(count):
        await socket.say(pair.request_id, f"{label} {number}", client_id=f"{label}-{number}")
        await asyncio.sleep(SEND_INTERVAL_SECONDS)


def _assert_exactly_once_in_order(received: list[dict], pair: Pair, count_each: int) -> None:
    total = 2 * count_each
    assert [message["seq"] for message in received] == list(range(1, total + 1))
    for label, sender_id in (("user", pair.user_id), ("expert", pair.expert_id)):
        # Each side's own sends, in the order it sent them (its acks included).
        mine = [m["content"] for m in received if m["sender"]["id"] == str(sender_id)]
        assert mine == [f"{label} {number}" for number in range(count_each)]


async def _chat_and_collect(
    pair: Pair, user_server, expert_server, *, count_each: int, wait_seconds: float
) -> None:
    """Both sides send `count_each` messages at once; both must end up with all of them."""
    user = await Socket.open(user_server, pair.user_token)
    expert = await Socket.open(expert_server, pair.expert_token)
    try:
        await user.join(pair.request_id)
        await expert.join(pair.request_id)
        await asyncio.gather(
            _send_series(user, pair, "user", count_each),
            _send_series(expert, pair, "expert", count_each),
        )
        for side in (user, expert):
            await side.wait_for_messages(pair.request_id, 2 * count_each, timeout=wait_seconds)
        await asyncio.sleep(SETTLE_SECONDS)
        _assert_exactly_once_in_order(user.messages(pair.request_id), pair, count_each)
        _assert_exactly_once_in_order(expert.messages(pair.request_id), pair, count_each)
    finally:
        await user.close()
        await expert.close()


def _chats_split_across(two_servers, pairs: list[Pair]) -> list:
    """One chat per pair; half the pairs have the customer on A, the other half on B."""
    return [
        _chat_and_collect(
            pair,
            two_servers[index % 2],
            two_servers[(index + 1) % 2],
            count_each=MESSAGES_EACH,
            wait_seconds=20,
        )
        for index, pair in enumerate(pairs)
    ]


async def test_twelve_concurrent_pairs_across_two_processes_get_every_message_once_in_order(
    two_servers,
):
    pairs = await active_pairs(12)

    await asyncio.gather(*_chats_split_across(two_servers, pairs))

    for pair in pairs:
        assert await in_db(_stored_seqs, pair.request_id) == list(range(1, 2 * MESSAGES_EACH + 1))


async def test_messages_sent_across_a_redis_disconnect_still_arrive_once_and_in_order(
    two_servers,
):
    pairs = await active_pairs(4)

    async def drop_redis_twice() -> None:
        for _ in range(2):
            await asyncio.sleep(MESSAGES_EACH * SEND_INTERVAL_SECONDS / 3)
            pids = [server.pid for server in two_servers]
            assert await asyncio.to_thread(drop_redis_connections, *pids) >= 1

    await asyncio.gather(drop_redis_twice(), *_chats_split_across(two_servers, pairs))


async def test_rejoining_with_after_seq_replays_exactly_the_missed_messages_then_live_ones(
    two_servers,
):
    server_a, server_b = two_servers
    pair = await active_pair()
    user = await Socket.open(server_a, pair.user_token)
    expert = await Socket.open(server_b, pair.expert_token)
    try:
        await user.join(pair.request_id)
        await expert.join(pair.request_id)
        for number in range(3):
            await user.say(pair.request_id, f"before {number}")
        await user.wait_for_messages(pair.request_id, 3, timeout=5)
        last_seen = user.seqs(pair.request_id)[-1]
        await user.close()

        for number in range(4):
            await expert.say(pair.request_id, f"missed {number}")
        await expert.wait_for_messages(pair.request_id, 7, timeout=5)

        # Back, on the other process this time.
        user = await Socket.open(server_b, pair.user_token)
        joined = await user.join(pair.request_id, after_seq=last_seen)
        await user.wait_for_messages(pair.request_id, 4, timeout=5)
        await expert.say(pair.request_id, "live")
        received = await user.wait_for_messages(pair.request_id, 5, timeout=5)
        await asyncio.sleep(SETTLE_SECONDS)

        assert joined["last_seq"] >= 7
        assert user.seqs(pair.request_id) == [4, 5, 6, 7, 8]
        assert [m["content"] for m in received] == [
            "missed 0",
            "missed 1",
            "missed 2",
            "missed 3",
            "live",
        ]
    finally:
        await user.close()
        await expert.close()
