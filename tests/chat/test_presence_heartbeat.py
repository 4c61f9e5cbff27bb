"""Every server process heart-beats and sweeps, with sockets or without; a process that was
swept while it still held sockets brings their users back online, and says so; a restart clears
what its predecessor left behind at once."""

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from accounts.models import User
from chat.models import ServerProcess, SocketConnection
from chat.presence import PROCESS_ID, PresenceKeeper
from config.asgi import hub
from tests.factories import UserFactory
from tests.helpers.sockets import connected, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def online_user_on_process(*, hostname: str, pid: int, beat_seconds_ago: float) -> User:
    """A user whose only socket is held by another process, last heard of that long ago."""
    user = UserFactory.create(is_online=True)
    process = ServerProcess.objects.create(
        hostname=hostname,
        pid=pid,
        heartbeat_at=timezone.now() - timedelta(seconds=beat_seconds_ago),
    )
    SocketConnection.objects.create(channel_name=f"specific.{user.pk}", user=user, process=process)
    return user


@database_sync_to_async
def is_online(user: User) -> bool:
    return User.objects.get(pk=user.pk).is_online


def dead_pid() -> int:
    """The pid of a process that has just exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def test_a_process_without_sockets_sweeps_a_dead_one(settings):
    settings.PRESENCE_TIMEOUT = 1
    user = await online_user_on_process(hostname="other-host", pid=1, beat_seconds_ago=5)
    keeper = PresenceKeeper()

    await keeper.beat()  # has not been beating for a PRESENCE_TIMEOUT yet: judges no one
    assert await is_online(user)
    keeper._beating_since = keeper._beating_since - 1.5  # type: ignore[operator]
    await keeper.beat()

    assert not await is_online(user)


async def test_a_restarted_process_clears_its_predecessors_sockets_at_once(settings):
    settings.PRESENCE_TIMEOUT = 60
    host = socket.gethostname()[:255]
    gone = await online_user_on_process(hostname=host, pid=dead_pid(), beat_seconds_ago=1)
    alive = await online_user_on_process(hostname=host, pid=os.getpid(), beat_seconds_ago=1)

    await PresenceKeeper().beat()

    assert not await is_online(gone)
    assert await is_online(alive)


@database_sync_to_async
def swept_as_dead(user: User) -> None:
    """What another process's sweep does to this one after it could not heart-beat."""
    ServerProcess.objects.filter(pk=PROCESS_ID).delete()
    User.objects.filter(pk=user.pk).update(is_online=False)


async def test_a_process_swept_while_its_sockets_stayed_open_brings_their_users_back_online(
    active_request, requester, assigned_expert
):
    expert_socket = await connected(assigned_expert)
    user_socket = await connected(requester)
    await receive_until(expert_socket, "presence")
    await swept_as_dead(requester)

    await hub.presence.beat()

    back = await receive_until(expert_socket, "presence")
    assert (back["user_id"], back["is_online"]) == (str(requester.pk), True)
    assert await is_online(requester)
    await user_socket.disconnect()
    await expert_socket.disconnect()
