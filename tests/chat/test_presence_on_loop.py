"""A socket's presence is recorded on the event loop's own connections (chat.presence
`presence_connect_on_loop`, chat.loop_db) on PostgreSQL: the same rows, the same presence frame
to the watchers, the same refusal of a deactivated user, and an expert coming online is still
given the waiting requests. The ORM threads do it where there are no such connections."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from accounts.models import User
from chat import loop_db
from chat.models import SocketConnection
from chat.presence import PROCESS_ID, presence_connect
from support.models import RequestStatus, SupportRequest
from tests.factories import ExpertFactory, SupportRequestFactory
from tests.helpers.api import access_token_for
from tests.helpers.markers import requires_postgres
from tests.helpers.sockets import WAIT, communicator, connected, receive_until

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def loop_connections() -> loop_db.LoopConnections | None:
    return loop_db._by_loop.get(asyncio.get_running_loop())


@database_sync_to_async
def recorded_sockets(user: User) -> list[tuple[str, object]]:
    return list(SocketConnection.objects.filter(user=user).values_list("pk", "process_id"))


@database_sync_to_async
def is_online(user: User) -> bool:
    return User.objects.get(pk=user.pk).is_online


async def test_an_opened_socket_is_recorded_on_the_loops_connection_and_its_watchers_told(
    requester, assigned_expert
):
    watcher = await connected(assigned_expert)

    socket = await connected(requester)

    connections = loop_connections()
    assert connections is not None
    assert connections._idle, "the loop's connection was never used"
    frame = await receive_until(watcher, "presence")
    assert frame["user_id"] == str(requester.pk)
    assert frame["is_online"] is True
    [(_, process_id)] = await recorded_sockets(requester)
    assert process_id == PROCESS_ID
    assert await is_online(requester)
    await socket.disconnect()
    await watcher.disconnect()


@override_settings(DB_ASYNC_CONNECTIONS=0)
async def test_with_no_async_connections_the_threads_record_it(requester):
    socket = await connected(requester)

    assert loop_connections() is None
    assert len(await recorded_sockets(requester)) == 1
    await socket.disconnect()


async def test_a_deactivated_user_is_refused_and_nothing_is_recorded(requester):
    token = await database_sync_to_async(access_token_for)(requester)
    await database_sync_to_async(User.objects.filter(pk=requester.pk).update)(is_active=False)
    socket = communicator(token)

    ok, _ = await socket.connect(timeout=WAIT)

    assert not ok
    assert await recorded_sockets(requester) == []


async def test_an_expert_coming_online_is_given_the_waiting_request():
    waiting = await database_sync_to_async(SupportRequestFactory.create)()
    expert = await database_sync_to_async(ExpertFactory.create)()

    socket = await connected(expert)

    for _ in range(WAIT * 10):
        request = await database_sync_to_async(SupportRequest.objects.get)(pk=waiting.pk)
        if request.expert_id == expert.pk:
            break
        await asyncio.sleep(0.1)
    assert request.expert_id == expert.pk
    assert request.status != RequestStatus.REQUESTED
    await socket.disconnect()


def test_recording_the_same_socket_again_leaves_one_row(requester):
    # What the thread path does after the loop's connection failed without saying whether the
    # statement was committed: it runs the statement again.
    first = presence_connect(channel_name="specific.again", user_id=requester.pk)
    again = presence_connect(channel_name="specific.again", user_id=requester.pk)

    assert first is not None
    assert again is not None
    assert SocketConnection.objects.filter(user=requester).count() == 1
    assert User.objects.get(pk=requester.pk).is_online
