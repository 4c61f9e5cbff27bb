"""Who may open the socket, and how the token travels."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.factories import UserFactory
from tests.helpers.api import NOT_USER_IDS, access_token_for, signed_token_for_user_id
from tests.helpers.sockets import WAIT, communicator

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(token, **kwargs) -> tuple[bool, object, object]:
    socket = communicator(token, **kwargs)
    ok, subprotocol = await socket.connect(timeout=WAIT)
    await socket.disconnect()
    return ok, subprotocol, socket


@pytest.mark.parametrize("carrier", ["header", "subprotocol", "query"])
async def test_a_valid_access_token_opens_the_socket_in_each_carrier(user, carrier):
    ok, _, _ = await handshake(
        await database_sync_to_async(access_token_for)(user), carrier=carrier
    )
    assert ok


async def test_the_server_picks_the_bearer_subprotocol_when_offered(user):
    token = await database_sync_to_async(access_token_for)(user)
    socket = communicator(token, carrier="subprotocol")
    ok, subprotocol = await socket.connect(timeout=WAIT)
    assert ok
    assert subprotocol == "bearer"
    await socket.disconnect()


async def test_no_token_is_refused(db):
    ok, _, _ = await handshake(None)
    assert not ok


async def test_a_token_with_a_bad_signature_is_refused(user):
    token = await database_sync_to_async(access_token_for)(user)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    ok, _, _ = await handshake(forged)
    assert not ok


async def test_an_expired_token_is_refused(user):
    def expired() -> str:
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=-timedelta(minutes=5))
        return str(token)

    ok, _, _ = await handshake(await database_sync_to_async(expired)())
    assert not ok


async def test_a_refresh_token_is_refused(user):
    refresh = await database_sync_to_async(lambda: str(RefreshToken.for_user(user)))()
    ok, _, _ = await handshake(refresh)
    assert not ok


async def test_an_inactive_user_is_refused(db):
    user = await database_sync_to_async(UserFactory.create)(is_active=False)
    ok, _, _ = await handshake(await database_sync_to_async(access_token_for)(user))
    assert not ok


async def test_a_deleted_user_is_refused(db):
    user = await database_sync_to_async(UserFactory.create)()
    token = await database_sync_to_async(access_token_for)(user)
    await database_sync_to_async(user.delete)()
    ok, _, _ = await handshake(token)
    assert not ok


async def test_an_origin_on_an_allowed_host_is_accepted(user):
    token = await database_sync_to_async(access_token_for)(user)
    ok, _, _ = await handshake(token, origin="http://localhost:3000")
    assert ok


async def test_an_origin_on_another_host_is_refused(user):
    token = await database_sync_to_async(access_token_for)(user)
    ok, _, _ = await handshake(token, origin="https://evil.example.com")
    assert not ok


async def test_a_garbage_origin_is_refused(user):
    token = await database_sync_to_async(access_token_for)(user)
    ok, _, _ = await handshake(token, origin="null")
    assert not ok


async def test_the_token_never_reaches_the_logs(user, caplog):
    caplog.set_level("DEBUG")
    token = await database_sync_to_async(access_token_for)(user)
    ok, _, _ = await handshake(token, carrier="query")
    refused, _, _ = await handshake(token + "x", carrier="query")
    assert ok
    assert not refused
    assert token not in caplog.text


@pytest.mark.parametrize("user_id", NOT_USER_IDS, ids=repr)
async def test_a_signed_token_whose_user_id_is_not_a_user_id_is_refused(db, user_id):
    ok, _, _ = await handshake(signed_token_for_user_id(user_id))
    assert not ok


@pytest.mark.parametrize("path", ["/ws/nope/", "/api/me/", "/", "/ws"])
@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "anonymous"])
async def test_a_socket_on_any_other_path_is_refused(user, path, signed_in):
    token = await database_sync_to_async(access_token_for)(user) if signed_in else None
    ok, _, _ = await handshake(token, path=path)
    assert not ok
