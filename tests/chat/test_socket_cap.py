"""WS_MAX_SOCKETS_PER_USER: a new socket past the cap succeeds, and the user's oldest socket is
closed with 4008 (a phone that lost its network is never locked out by its stale sockets)."""

import pytest

from tests.helpers.sockets import WAIT, connected

pytestmark = pytest.mark.django_db(transaction=True)


async def close_code(socket) -> int | None:
    while True:
        output = await socket.receive_output(timeout=WAIT)
        if output["type"] == "websocket.close":
            return output.get("code")


async def test_a_socket_past_the_cap_closes_the_users_oldest_with_4008(requester, settings):
    settings.WS_MAX_SOCKETS_PER_USER = 2
    oldest = await connected(requester)
    middle = await connected(requester)

    newest = await connected(requester)

    assert await close_code(oldest) == 4008
    assert await middle.receive_nothing(timeout=0.3)
    assert await newest.receive_nothing(timeout=0.3)
    await middle.disconnect()
    await newest.disconnect()


async def test_sockets_within_the_cap_all_stay_open(requester, settings):
    settings.WS_MAX_SOCKETS_PER_USER = 3
    sockets = [await connected(requester) for _ in range(3)]

    for socket in sockets:
        assert await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()
