"""A socket lives no longer than its access token, unless the client hands over a fresh one."""

import asyncio
from datetime import timedelta

from django.conf import settings

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, access_token, active_pair, in_db
from tests.factories import UserFactory

pytestmark = E2E

LIFETIME = timedelta(seconds=3)
# The server may honour the same clock-drift leeway as the REST API before closing.
LATEST_CLOSE_SECONDS = (LIFETIME + settings.SIMPLE_JWT["LEEWAY"]).total_seconds() + 5


async def test_socket_is_closed_with_4001_when_its_token_expires(server):
    token = await in_db(lambda: access_token(UserFactory(), lifetime=LIFETIME))
    socket = await Socket.open(server, token)

    assert await socket.wait_closed(timeout=LATEST_CLOSE_SECONDS) == 4001


async def test_socket_outlives_its_first_token_after_authenticate_with_a_fresh_one(server):
    pair = await active_pair()
    short_token = await in_db(lambda: access_token(_requester(pair.request_id), lifetime=LIFETIME))
    socket = await Socket.open(server, short_token)
    try:
        await asyncio.sleep(1)
        await socket.send({"type": "authenticate", "token": pair.user_token, "ref": "renew"})

        await asyncio.sleep(LATEST_CLOSE_SECONDS - 3)

        assert socket.is_open, f"closed with {socket.connection.close_code}"
        assert not [frame for frame in socket.frames if frame["type"] == "error"]
        joined = await socket.join(pair.request_id)
        assert joined["request_id"] == str(pair.request_id)
    finally:
        await socket.close()


async def test_authenticate_with_an_invalid_token_is_refused_and_the_deadline_stands(server):
    token = await in_db(lambda: access_token(UserFactory(), lifetime=LIFETIME))
    socket = await Socket.open(server, token)

    await socket.send({"type": "authenticate", "token": "not-a-token", "ref": "renew"})
    error = await socket.expect("error", ref="renew")

    assert error["code"] in {"access_denied", "invalid_payload"}
    assert await socket.wait_closed(timeout=LATEST_CLOSE_SECONDS) == 4001


def _requester(request_id):
    from support.models import SupportRequest

    return SupportRequest.objects.select_related("requester").get(pk=request_id).requester
