"""The WebSocket handshake on a real daphne process: who gets a socket, and how."""

import uuid
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from accounts.models import User
from tests.e2e.client import Socket, open_connection
from tests.e2e.scenario import E2E, access_token, in_db, jwt_setting
from tests.factories import UserFactory

pytestmark = E2E


def _no_token(user: User) -> None:
    return None


def _bad_signature(user: User) -> str:
    claims = jwt.decode(
        access_token(user), settings.JWT_SECRET, algorithms=["HS256"], options={"verify_exp": False}
    )
    return jwt.encode(claims, "not-the-server-secret-but-just-as-long", algorithm="HS256")


def _expired(user: User) -> str:
    token = AccessToken.for_user(user)
    # Well past the server's clock-drift leeway.
    token.set_exp(lifetime=-(jwt_setting("LEEWAY", timedelta) + timedelta(minutes=5)))
    return str(token)


def _refresh_token(user: User) -> str:
    return str(RefreshToken.for_user(user))


def _unknown_user(user: User) -> str:
    token = AccessToken()
    token[jwt_setting("USER_ID_CLAIM", str)] = str(uuid.uuid4())
    return str(token)


def _inactive_user(user: User) -> str:
    return access_token(UserFactory.create(is_active=False))


def _garbage(user: User) -> str:
    return "this.is-not-a.jwt"


@pytest.mark.parametrize(
    "make_token",
    [
        _no_token,
        _bad_signature,
        _expired,
        _refresh_token,
        _unknown_user,
        _inactive_user,
        _garbage,
    ],
    ids=lambda make: make.__name__.strip("_"),
)
async def test_handshake_without_a_valid_access_token_is_rejected_with_403(
    shared_server, make_token
):
    token = await in_db(lambda: make_token(UserFactory.create()))

    with pytest.raises(InvalidStatus) as rejected:
        await open_connection(shared_server, token)

    assert rejected.value.response.status_code == 403


@pytest.mark.parametrize("path", ["/ws/nope/", "/api/me/"])
async def test_a_socket_on_another_path_is_refused_with_403_and_no_traceback(server, path):
    token = await in_db(lambda: access_token(UserFactory.create()))
    for carrier_token in (None, token):
        headers = {} if carrier_token is None else {"Authorization": f"Bearer {carrier_token}"}
        with pytest.raises(InvalidStatus) as rejected:
            await connect(f"ws://127.0.0.1:{server.port}{path}", additional_headers=headers)

        assert rejected.value.response.status_code == 403
    server.stop()  # flushes everything the process had to say

    output = server.output()
    assert "No route found" not in output
    assert "Traceback" not in output


async def test_handshake_from_a_disallowed_origin_is_rejected_with_403(shared_server):
    token = await in_db(lambda: access_token(UserFactory.create()))

    with pytest.raises(InvalidStatus) as rejected:
        await open_connection(shared_server, token, origin="https://attacker.example")

    assert rejected.value.response.status_code == 403


@pytest.mark.parametrize("origin", [None, "http://localhost:3000", "http://127.0.0.1"])
async def test_handshake_with_an_allowed_or_missing_origin_is_accepted(shared_server, origin):
    token = await in_db(lambda: access_token(UserFactory.create()))

    connection = await open_connection(shared_server, token, origin=origin)

    await connection.close()


@pytest.mark.parametrize("carrier", ["header", "subprotocol", "query"])
async def test_each_token_carrier_opens_a_working_socket(shared_server, carrier):
    token = await in_db(lambda: access_token(UserFactory.create()))

    socket = Socket(await open_connection(shared_server, token, carrier=carrier))
    try:
        # The socket is really served: an unknown frame type gets an error answer.
        await socket.send({"type": "no-such-frame", "ref": "probe"})
        error = await socket.expect("error", ref="probe")
        assert error["code"] == "unknown_type"
    finally:
        await socket.close()


async def test_server_selects_the_bearer_subprotocol_when_the_client_offers_it(shared_server):
    token = await in_db(lambda: access_token(UserFactory.create()))

    connection = await open_connection(shared_server, token, carrier="subprotocol")

    assert connection.subprotocol == "bearer"
    await connection.close()


async def test_token_in_the_query_string_never_reaches_the_logs(server):
    token = await in_db(lambda: access_token(UserFactory.create()))
    socket = Socket(await open_connection(server, token, carrier="query"))
    await socket.send({"type": "no-such-frame", "ref": "probe"})
    await socket.expect("error", ref="probe")
    await socket.close()
    server.stop()  # flushes everything the process had to say

    output = server.output()
    assert "WSCONNECT /ws/" in output  # the access log did record the connection...
    assert token not in output  # ...but not the token
    assert token.split(".")[2] not in output  # not even its signature
