"""Frames reach real channel-layer groups (in-memory, or Redis when REDIS_URL is set), and only
after the change has been committed."""

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import BaseChannelLayer, channel_layers, get_channel_layer
from django.db import connection, transaction

from accounts.models import User
from chat.groups import EVENT_FRAME, EVENT_QUEUE, queue_group, request_group, user_group
from support.models import RequestStatus, SupportRequest
from support.serializers import SupportRequestSerializer, request_as_json
from support.services import request_accept, request_cancel, request_close, request_create
from tests.factories import ActiveRequestFactory, ExpertFactory, SkillFactory, UserFactory
from tests.helpers.requests import online_expert

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def layer(settings):
    """The layer the test listens on. With Redis, a fresh instance: a channels_redis instance
    binds its receive lock to the event loop that is receiving, and the process-wide instance
    may still be receiving for a socket of an earlier test on another loop. Groups live in Redis,
    so what the services send through the shared instance reaches this one. The in-memory layer
    keeps groups in the instance, so there the shared one is used."""
    if not settings.REDIS_URL:
        yield get_channel_layer()
        return
    fresh = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    try:
        yield fresh
    finally:
        # RedisChannelLayer closes its pools; the pub/sub layer's flush closes its connections
        # (the core layer's flush would delete every key under the prefix instead).
        close = getattr(fresh, "close_pools", None) or fresh.flush
        await close()


async def _listen(layer, *groups: str) -> str:
    channel = await layer.new_channel()
    for group in groups:
        await layer.group_add(group, channel)
    return channel


# A receive still waiting when `_frames` stops listening is kept for its next call: cancelling it
# would make the pub/sub layer drop the channel's subscriptions.
_waiting: dict[str, asyncio.Task] = {}


async def _frames(layer: BaseChannelLayer, channel: str, *, wait: float = 0.5) -> list[dict]:
    """Every frame that arrives on `channel` until it stays quiet for `wait` seconds."""
    frames: list[dict] = []
    while True:
        receive = _waiting.pop(channel, None) or asyncio.ensure_future(layer.receive(channel))
        done, _ = await asyncio.wait({receive}, timeout=wait)
        if not done:
            _waiting[channel] = receive
            return frames
        event = receive.result()
        assert event["type"] in (EVENT_FRAME, EVENT_QUEUE)
        frames.append(event["frame"])


async def _queue_events(
    layer: BaseChannelLayer, channel: str, *, wait: float = 0.5
) -> list[tuple[dict, str | None]]:
    """The queue events (frame and taker) that arrive on `channel` until it stays quiet."""
    events: list[tuple[dict, str | None]] = []
    while True:
        try:
            event = await asyncio.wait_for(layer.receive(channel), wait)
        except TimeoutError:
            return events
        assert event["type"] == EVENT_QUEUE
        events.append((event["frame"], event["taker_id"]))


def _busy_expert(**kwargs: Any) -> User:
    expert = online_expert(**kwargs)
    ActiveRequestFactory.create(expert=expert)
    return expert


async def test_waiting_request_is_queued_once_to_the_queue_group_of_its_skill(layer):
    python = await sync_to_async(SkillFactory.create)(name="Python")
    requester = await sync_to_async(UserFactory.create)()
    await sync_to_async(_busy_expert)(skills=[python])  # nobody can take it: it waits
    requester_ch = await _listen(layer, user_group(requester.pk))
    python_ch = await _listen(layer, queue_group(python.pk))
    everyone_ch = await _listen(layer, queue_group(None))

    created = await sync_to_async(request_create)(
        requester=requester, title="Help", description="", skill_name="Python"
    )

    assert created.status == RequestStatus.REQUESTED
    expected = await sync_to_async(lambda: SupportRequestSerializer(created).data)()
    assert await _frames(layer, requester_ch) == [
        {"type": "request-updated", "request": request_as_json(created)}
    ]
    ((queued, taker),) = await _queue_events(layer, python_ch)
    assert (queued["type"], taker) == ("request-queued", None)
    assert queued["request"]["id"] == str(expected["id"])
    assert queued["request"]["skill"] == "Python"
    assert queued["request"]["user"] == {"id": str(requester.pk), "name": requester.name}
    # Experts without the skill are not in that group; the group of every expert is for
    # requests that name no skill.
    assert await _queue_events(layer, everyone_ch) == []


async def test_matched_request_tells_requester_and_expert_and_others_that_it_is_taken(layer):
    requester = await sync_to_async(UserFactory.create)()
    winner = await sync_to_async(online_expert)()
    await sync_to_async(_busy_expert)()
    requester_ch = await _listen(layer, user_group(requester.pk))
    winner_ch = await _listen(layer, user_group(winner.pk))
    everyone_ch = await _listen(layer, queue_group(None))

    created = await sync_to_async(request_create)(requester=requester, title="Help")

    assert created.status == RequestStatus.ACTIVE
    for channel in (requester_ch, winner_ch):
        frames = await _frames(layer, channel)
        assert [(f["type"], f["request"]["status"]) for f in frames] == [
            ("request-updated", "ACTIVE")
        ]
        assert frames[0]["request"]["expert"] == {"id": str(winner.pk), "name": winner.name}
    taken = {"type": "request-taken", "request_id": str(created.pk)}
    # One broadcast; the winner's sockets skip it (they are its taker).
    assert await _queue_events(layer, everyone_ch) == [(taken, str(winner.pk))]


async def test_accept_and_close_are_announced_in_the_request_room(layer):
    waiting = await sync_to_async(
        lambda: SupportRequest.objects.create(requester=UserFactory.create(), title="Help")
    )()
    expert = await sync_to_async(ExpertFactory.create)()
    room = await _listen(layer, request_group(waiting.pk))

    await sync_to_async(request_accept)(request_id=waiting.pk, expert=expert)
    assert [f["request"]["status"] for f in await _frames(layer, room)] == ["ACTIVE"]

    await sync_to_async(request_close)(request_id=waiting.pk, actor=expert)
    frames = await _frames(layer, room)
    assert [(f["type"], f["request"]["status"]) for f in frames] == [("request-updated", "CLOSED")]
    assert frames[0]["request"]["closed_at"] is not None


async def test_cancelled_request_is_gone_from_watchers_queues(layer):
    await sync_to_async(_busy_expert)()
    requester = await sync_to_async(UserFactory.create)()
    created = await sync_to_async(request_create)(requester=requester, title="Help")
    everyone_ch = await _listen(layer, queue_group(None))
    requester_ch = await _listen(layer, user_group(requester.pk))

    await sync_to_async(request_cancel)(request_id=created.pk, actor=requester)

    taken = {"type": "request-taken", "request_id": str(created.pk)}
    assert await _queue_events(layer, everyone_ch) == [(taken, None)]
    assert [f["request"]["status"] for f in await _frames(layer, requester_ch)] == ["CANCELLED"]


async def test_nothing_is_sent_for_a_change_that_is_rolled_back(layer):
    requester = await sync_to_async(UserFactory.create)()
    requester_ch = await _listen(layer, user_group(requester.pk))

    def create_then_roll_back() -> None:
        with transaction.atomic():
            request_create(requester=requester, title="Never happened")
            transaction.set_rollback(True)

    await sync_to_async(create_then_roll_back)()

    assert await _frames(layer, requester_ch) == []
    assert await sync_to_async(SupportRequest.objects.count)() == 0


async def test_frame_arrives_only_once_the_change_is_visible_in_the_database(layer):
    active = await sync_to_async(ActiveRequestFactory.create)()
    room = await _listen(layer, request_group(active.pk))

    closing = asyncio.ensure_future(
        sync_to_async(request_close)(request_id=active.pk, actor=active.requester)
    )
    event = await asyncio.wait_for(layer.receive(room), 5)
    # Read on another connection than the one that wrote: it must already see the commit.
    status = await sync_to_async(_status_seen_elsewhere, thread_sensitive=False)(active.pk)
    await closing
    assert event["frame"]["request"]["status"] == "CLOSED"
    assert status == RequestStatus.CLOSED


def _status_seen_elsewhere(request_id) -> str:
    try:
        return SupportRequest.objects.get(pk=request_id).status
    finally:
        connection.close()
