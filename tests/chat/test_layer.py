"""chat.layer over a real Redis: each socket of a group gets an event exactly once, whether it is
in the sending process or another; never its sender; in the order sent; and a process of the
stock channels_redis layer and one of this layer understand each other (a rolling upgrade)."""

import asyncio
import uuid

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from chat.layer import PubSubChannelLayer
from tests.helpers.markers import requires_redis

pytestmark = requires_redis

# What a receive waits for an event that should come; and for one that should not.
ARRIVES_WITHIN = 5.0
SETTLES = 0.3


def a_process(kind=PubSubChannelLayer):
    """A layer as one server process has it (its own Redis connections and origin)."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    return kind(**{**config, "prefix": f"{config['prefix']}-layer-test"})


def a_group() -> str:
    return f"room.{uuid.uuid4().hex}"


async def member(layer, group: str) -> str:
    """A new channel of `layer` (a socket's), in `group`."""
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


async def events(layer, channel: str, *, count: int) -> list[dict]:
    return [await asyncio.wait_for(layer.receive(channel), ARRIVES_WITHIN) for _ in range(count)]


async def nothing_more(layer, channel: str) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(channel), SETTLES)


async def closed(*layers) -> None:
    for layer in layers:
        await layer.flush()


async def test_sockets_in_the_sending_process_and_in_another_get_each_event_once():
    here, there, group = a_process(), a_process(), a_group()
    local_a, local_b = await member(here, group), await member(here, group)
    remote = await member(there, group)

    await here.group_send(group, {"type": "chat.test", "n": 1})

    for layer, channel in ((here, local_a), (here, local_b), (there, remote)):
        assert await events(layer, channel, count=1) == [{"type": "chat.test", "n": 1}]
    # Redis echoes the event back to the sending process: it is not delivered a second time.
    for layer, channel in ((here, local_a), (here, local_b), (there, remote)):
        await nothing_more(layer, channel)
    await closed(here, there)


async def test_an_event_naming_its_sender_is_not_sent_back_to_it():
    here, there, group = a_process(), a_process(), a_group()
    sender, other = await member(here, group), await member(here, group)
    remote = await member(there, group)

    await here.group_send(group, {"type": "chat.test", "sender_channel": sender})

    assert len(await events(here, other, count=1)) == 1
    assert len(await events(there, remote, count=1)) == 1
    await nothing_more(here, sender)
    await closed(here, there)


async def test_events_sent_at_once_arrive_in_the_order_sent():
    here, there, group = a_process(), a_process(), a_group()
    local, remote = await member(here, group), await member(there, group)

    # Sent without waiting for each other: they go out in pipelines, several per write.
    await asyncio.gather(
        *(here.group_send(group, {"type": "chat.test", "n": n}) for n in range(300))
    )

    for layer, channel in ((here, local), (there, remote)):
        received = await events(layer, channel, count=300)
        assert [event["n"] for event in received] == list(range(300))
    await closed(here, there)


async def test_a_stock_channels_redis_process_and_this_layer_talk_both_ways():
    ours, stock, group = a_process(), a_process(RedisPubSubChannelLayer), a_group()
    our_channel, stock_channel = await member(ours, group), await member(stock, group)

    await ours.group_send(group, {"type": "chat.test", "from": "ours"})
    await stock.group_send(group, {"type": "chat.test", "from": "stock"})

    assert [e["from"] for e in await events(ours, our_channel, count=2)] == ["ours", "stock"]
    # The stock layer sees the origin key: consumers ignore keys they do not know.
    assert [e["from"] for e in await events(stock, stock_channel, count=2)] == ["ours", "stock"]
    await nothing_more(ours, our_channel)
    await closed(ours, stock)


async def test_a_message_to_one_channel_reaches_it_from_another_process():
    here, there = a_process(), a_process()
    channel = await there.new_channel()

    await here.send(channel, {"type": "socket.close", "code": 4001})

    assert await events(there, channel, count=1) == [{"type": "socket.close", "code": 4001}]
    await closed(here, there)


async def test_a_closed_channel_gets_nothing_more_and_its_group_forgets_it():
    layer, group = a_process(), a_group()
    channel = await member(layer, group)
    inbox = layer.inbox(channel)

    await layer.group_discard(group, channel)
    await layer.close_channel(channel)
    await layer.group_send(group, {"type": "chat.test"})
    await asyncio.sleep(SETTLES)

    assert inbox.empty()
    await closed(layer)


async def test_subscriptions_made_together_go_out_together_and_in_the_order_asked():
    here, there = a_process(), a_process()
    groups = [a_group() for _ in range(100)]
    # 100 sockets joining at once, as in a connect storm: one SUBSCRIBE names them all.
    channels = await asyncio.gather(*(member(there, group) for group in groups))
    # And a group joined, left and joined again at once: it ends up joined.
    again = a_group()
    loop_layer = there._get_layer()
    name = loop_layer._get_group_channel_name(again)
    await asyncio.gather(
        there.group_add(again, channels[0]),
        loop_layer._get_shard(name).unsubscribe(name),
        there.group_add(again, channels[0]),
    )

    for number, group in enumerate(groups):
        await here.group_send(group, {"type": "chat.test", "n": number})
    await here.group_send(again, {"type": "chat.test", "n": "again"})

    for number, channel in enumerate(channels):
        assert await events(there, channel, count=1) == [{"type": "chat.test", "n": number}]
    assert await events(there, channels[0], count=1) == [{"type": "chat.test", "n": "again"}]
    await closed(here, there)
