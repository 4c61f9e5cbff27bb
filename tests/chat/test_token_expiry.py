"""An open socket closes with 4001 when its token expires, unless `authenticate` extends it."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from chat.middleware import token_leeway
from tests.factories import UserFactory
from tests.helpers.api import access_token_for
from tests.helpers.sockets import WAIT, ask, communicator

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def token_closing_in(user, seconds: float) -> str:
    """An access token the server accepts for about `seconds` more (leeway included)."""
    token = AccessToken.for_user(user)
    deadline = time.time() + seconds - token_leeway().total_seconds()
    token.set_exp(from_time=datetime.fromtimestamp(deadline, tz=UTC), lifetime=timedelta(0))
    return str(token)


async def open_socket(token: str):
    socket = communicator(token)
    ok, _ = await socket.connect(timeout=WAIT)
    assert ok
    return socket


async def test_the_socket_closes_with_4001_when_the_token_expires(user):
    socket = await open_socket(await token_closing_in(user, 1.5))
    closed = await socket.receive_output(timeout=4)
    assert closed == {"type": "websocket.close", "code": 4001}
    await socket.disconnect()


async def test_authenticate_with_a_fresh_token_keeps_the_socket_open(user):
    socket = await open_socket(await token_closing_in(user, 1.5))
    fresh = await database_sync_to_async(access_token_for)(user)
    answer = await ask(socket, {"type": "authenticate", "token": fresh, "ref": "a1"})
    assert answer["type"] == "authenticated"
    assert answer["ref"] == "a1"
    assert answer["exp"] > time.time() + 60
    assert await socket.receive_nothing(timeout=2.5)  # past the first token's deadline
    await socket.disconnect()


async def test_authenticate_with_another_users_token_is_denied_and_the_deadline_stays(user):
    socket = await open_socket(await token_closing_in(user, 1.5))
    other = await database_sync_to_async(UserFactory.create)()
    answer = await ask(
        socket,
        {"type": "authenticate", "token": await database_sync_to_async(access_token_for)(other)},
    )
    assert answer["code"] == "access_denied"
    closed = await socket.receive_output(timeout=4)
    assert closed == {"type": "websocket.close", "code": 4001}
    await socket.disconnect()


@pytest.mark.parametrize("kind", ["garbage", "refresh"])
async def test_authenticate_with_an_invalid_token_is_invalid_payload(user, kind):
    socket = await open_socket(await database_sync_to_async(access_token_for)(user))
    token = "not-a-jwt"
    if kind == "refresh":
        token = await database_sync_to_async(lambda: str(RefreshToken.for_user(user)))()
    answer = await ask(socket, {"type": "authenticate", "token": token})
    assert answer["code"] == "invalid_payload"
    await socket.disconnect()
