"""Presence: online while at least one socket is open on any process; dead processes swept."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from accounts.models import User
from chat.groups import channel_layer, user_group
from chat.models import ServerProcess, SocketConnection
from chat.presence import presence_connect, presence_sweep
from tests.helpers.sockets import WAIT, ask, connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def presence_of(user) -> tuple[bool, object]:
    fresh = User.objects.get(pk=user.pk)
    return fresh.is_online, fresh.last_seen_at


@database_sync_to_async
def sockets_of(user) -> int:
    return SocketConnection.objects.filter(user=user).count()


async def test_online_with_two_sockets_until_the_last_one_closes(active_request, requester):
    first = await connected(requester)
    second = await connected(requester)
    assert (await presence_of(requester))[0] is True
    assert await sockets_of(requester) == 2
    await first.disconnect()
    assert (await presence_of(requester))[0] is True
    await second.disconnect()
    is_online, last_seen_at = await presence_of(requester)
    assert is_online is False
    assert last_seen_at is not None
    assert await sockets_of(requester) == 0


async def test_the_other_participant_hears_online_and_offline(
    active_request, requester, assigned_expert
):
    expert_socket = await connected(assigned_expert)
    user_socket = await connected(requester)
    online = await receive_until(expert_socket, "presence")
    assert online["user_id"] == str(requester.pk)
    assert online["is_online"] is True
    await user_socket.disconnect()
    offline = await receive_until(expert_socket, "presence")
    assert (offline["user_id"], offline["is_online"]) == (str(requester.pk), False)
    assert offline["last_seen_at"]
    await expert_socket.disconnect()


async def test_only_the_first_socket_announces_online(active_request, requester, assigned_expert):
    expert_socket = await connected(assigned_expert)
    first = await connected(requester)
    await receive_until(expert_socket, "presence")
    second = await connected(requester)
    assert await expert_socket.receive_nothing(timeout=0.5)
    await second.disconnect()
    assert await expert_socket.receive_nothing(timeout=0.5)
    await first.disconnect()
    assert (await receive_until(expert_socket, "presence"))["is_online"] is False
    await expert_socket.disconnect()


async def test_a_consumer_that_crashes_still_takes_its_user_offline(
    active_request, requester, assigned_expert
):
    expert_socket = await connected(assigned_expert)
    user_socket = await connected(requester)
    await receive_until(expert_socket, "presence")
    joined = await ask(user_socket, {"type": "join-request", "request_id": str(active_request.pk)})
    assert joined["type"] == "joined"

    # An event the consumer has no handler for: the exception ends the consumer (a bug
    # anywhere in it would do the same), and daphne would close the socket with 1011.
    await channel_layer().group_send(user_group(requester.pk), {"type": "no.such.event"})
    with pytest.raises(ValueError, match="No handler"):
        await user_socket.wait(timeout=WAIT)

    is_online, last_seen_at = await presence_of(requester)
    assert is_online is False
    assert last_seen_at is not None
    assert await sockets_of(requester) == 0
    offline = await receive_until(expert_socket, "presence")
    assert (offline["user_id"], offline["is_online"]) == (str(requester.pk), False)
    await expert_socket.disconnect()


def test_a_process_that_stopped_heart_beating_is_swept_and_its_users_go_offline(
    transactional_db, user, settings
):
    settings.PRESENCE_TIMEOUT = 60
    dead = ServerProcess.objects.create(
        hostname="gone", pid=1, heartbeat_at=timezone.now() - timedelta(seconds=61)
    )
    SocketConnection.objects.create(channel_name="specific.dead!1", user=user, process=dead)
    User.objects.filter(pk=user.pk).update(is_online=True)

    assert [change.user_id for change in presence_sweep()] == [str(user.pk)]

    user.refresh_from_db()
    assert user.is_online is False
    assert user.last_seen_at is not None
    assert not ServerProcess.objects.filter(pk=dead.pk).exists()


def test_a_sweep_keeps_users_who_still_have_a_socket_elsewhere(transactional_db, user, settings):
    settings.PRESENCE_TIMEOUT = 60
    dead = ServerProcess.objects.create(
        hostname="gone", pid=1, heartbeat_at=timezone.now() - timedelta(seconds=61)
    )
    SocketConnection.objects.create(channel_name="specific.dead!1", user=user, process=dead)
    presence_connect(channel_name="specific.alive!1", user_id=user.pk)

    assert presence_sweep() == []

    user.refresh_from_db()
    assert user.is_online is True
    assert SocketConnection.objects.filter(user=user).count() == 1
