"""A socket lives no longer than its access token, unless the client hands over a fresh one."""

import asyncio
import time
from datetime import timedelta

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, access_token, active_pair, in_db, jwt_setting
from tests.factories import UserFactory

pytestmark = E2E

# The server honours a token until `exp` plus the clock-drift leeway the REST API allows too.
# A token minted with exp = now + REMAINING - leeway is accepted at the handshake and runs out
# REMAINING seconds later, so no test waits out the whole leeway.
REMAINING = timedelta(seconds=3)
LIFETIME = REMAINING - jwt_setting("LEEWAY", timedelta)
CLOSE_DEADLINE_SECONDS = REMAINING.total_seconds()
LATEST_CLOSE_SECONDS = CLOSE_DEADLINE_SECONDS + 5


async def test_socket_is_closed_with_4001_when_its_token_expires_and_no_valid_token_came(server):
    token = await in_db(lambda: access_token(UserFactory.create(), lifetime=LIFETIME))
    socket = await Socket.open(server, token)

    # A renewal that is not a valid token is refused and does not move the deadline.
    await socket.send({"type": "authenticate", "token": "not-a-token", "ref": "renew"})
    error = await socket.expect("error", ref="renew")

    assert error["code"] in {"access_denied", "invalid_payload"}
    assert await socket.wait_closed(timeout=LATEST_CLOSE_SECONDS) == 4001


async def test_socket_outlives_its_first_token_after_authenticate_with_a_fresh_one(server):
    pair = await active_pair()
    short_token = await in_db(lambda: access_token(_requester(pair.request_id), lifetime=LIFETIME))
    minted = time.monotonic()
    socket = await Socket.open(server, short_token)
    try:
        await asyncio.sleep(1)
        await socket.send({"type": "authenticate", "token": pair.user_token, "ref": "renew"})

        # Past the first token's deadline, leeway included.
        await asyncio.sleep(minted + CLOSE_DEADLINE_SECONDS + 1.5 - time.monotonic())

        assert socket.is_open, f"closed with {socket.connection.close_code}"
        assert not [frame for frame in socket.frames if frame["type"] == "error"]
        joined = await socket.join(pair.request_id)
        assert joined["request_id"] == str(pair.request_id)
    finally:
        await socket.close()


def _requester(request_id):
    from support.models import SupportRequest

    return SupportRequest.objects.select_related("requester").get(pk=request_id).requester
