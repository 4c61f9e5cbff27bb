"""Messages sent over a socket are stored on the event loop's own connections (chat.async_store)
when one statement does it, and through the ORM threads otherwise; both together, under real
concurrency, still give seqs 1..N once each, and a connection that dies is replaced."""

import asyncio

import psycopg
import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.test import override_settings

from chat import loop_db
from chat.models import Message
from chat.services import message_post
from tests.helpers.markers import requires_postgres
from tests.helpers.sockets import ask, drain, joined

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def send(request, content: str, **extra) -> dict:
    return {"type": "send-message", "request_id": str(request.pk), "content": content, **extra}


@database_sync_to_async
def stored_seqs(request) -> list[int]:
    return list(
        Message.objects.filter(request=request).order_by("seq").values_list("seq", flat=True)
    )


def loop_connections() -> loop_db.LoopConnections | None:
    return loop_db._by_loop.get(asyncio.get_running_loop())


async def test_a_plain_message_is_stored_on_the_loops_connection(
    active_request, requester, assigned_expert
):
    socket = await joined(requester, active_request)

    ack = await ask(socket, send(active_request, "hello", client_id="a-1"))

    assert ack["message"]["seq"] == 1
    connections = loop_connections()
    assert connections is not None
    assert len(connections._idle) == 1
    assert await stored_seqs(active_request) == [1]
    # A retry of the same client_id is answered with the original, stored once.
    again = await ask(socket, send(active_request, "hello", client_id="a-1"))
    assert again["message"]["id"] == ack["message"]["id"]
    assert await stored_seqs(active_request) == [1]
    await socket.disconnect()


@override_settings(DB_ASYNC_CONNECTIONS=0)
async def test_with_no_async_connections_the_threads_store_everything(active_request, requester):
    socket = await joined(requester, active_request)

    ack = await ask(socket, send(active_request, "hello"))

    assert ack["message"]["seq"] == 1
    assert loop_connections() is None
    await socket.disconnect()


@override_settings(WS_MESSAGE_RATE=1000, WS_MESSAGE_BURST=1000)
async def test_sockets_and_rest_posts_at_once_give_every_seq_once(
    active_request, requester, assigned_expert
):
    sockets = [
        await joined(requester, active_request),
        await joined(requester, active_request),
        await joined(assigned_expert, active_request),
    ]
    per_socket, rest_posts = 30, 30

    async def talk(index: int, socket) -> None:
        for n in range(per_socket):
            ref = f"s{index}-{n}"
            await socket.send_json_to(send(active_request, ref, ref=ref))
            # Skip the others' messages to this socket: its own answer carries the ref.
            while (answer := await socket.receive_json_from(timeout=10)).get("ref") != ref:
                pass
            assert answer["type"] == "new-message", answer

    def post_over_rest() -> None:
        try:
            for n in range(rest_posts):
                message_post(request_id=active_request.pk, sender=requester, content=f"r{n}")
        finally:
            connection.close()

    await asyncio.gather(
        *(talk(index, socket) for index, socket in enumerate(sockets)),
        asyncio.to_thread(post_over_rest),
    )

    total = per_socket * len(sockets) + rest_posts
    assert await stored_seqs(active_request) == list(range(1, total + 1))
    for socket in sockets:
        await drain(socket)
        await socket.disconnect()


async def test_a_connection_killed_by_the_database_is_replaced(active_request, requester):
    socket = await joined(requester, active_request)
    await ask(socket, send(active_request, "one"))
    connections = loop_connections()
    assert connections is not None
    (conn,) = connections._idle

    # An administrator (or a failover) ends the connection's backend.
    database = settings.DATABASES["default"]
    async with await psycopg.AsyncConnection.connect(
        dbname=connection.settings_dict["NAME"],
        user=database["USER"],
        host=database["HOST"],
        port=database["PORT"],
        autocommit=True,
    ) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])

    # The next message is stored anyway (through the threads while the loop's path rests).
    ack = await ask(socket, send(active_request, "two"))
    assert ack["message"]["seq"] == 2
    assert conn.closed
    assert await stored_seqs(active_request) == [1, 2]
    await socket.disconnect()
