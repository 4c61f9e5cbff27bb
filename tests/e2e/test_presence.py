"""Presence across processes: online while any socket is open anywhere, offline after the last
closes — or after the process holding it dies without a word."""

import asyncio
import time

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, active_pair, in_db

pytestmark = E2E

PRESENCE_TIMEOUT_SECONDS = 3
# How long past PRESENCE_TIMEOUT a surviving process may take to notice (its sweep interval).
SWEEP_GRACE_SECONDS = 10


def _presence_of(user_id) -> tuple[bool, object]:
    from accounts.models import User

    user = User.objects.get(pk=user_id)
    return user.is_online, user.last_seen_at


async def _wait_for_presence(user_id, online: bool, *, timeout: float) -> tuple[bool, object]:
    deadline = time.monotonic() + timeout
    while True:
        state = await in_db(_presence_of, user_id)
        if state[0] is online or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.1)


async def test_user_stays_online_until_their_last_socket_on_any_process_closes(launch_servers):
    server_a, server_b = launch_servers(2, PRESENCE_TIMEOUT=str(PRESENCE_TIMEOUT_SECONDS))
    pair = await active_pair()
    expert = await Socket.open(server_b, pair.expert_token)
    try:
        on_a = await Socket.open(server_a, pair.user_token)
        assert (await _wait_for_presence(pair.user_id, True, timeout=5))[0] is True
        came_online = await expert.expect("presence", user_id=str(pair.user_id))
        assert came_online["is_online"] is True

        on_b = await Socket.open(server_b, pair.user_token)
        await on_a.close()
        # Longer than a presence timeout: nothing may expire the socket still open on B.
        await asyncio.sleep(PRESENCE_TIMEOUT_SECONDS + 1)
        assert (await in_db(_presence_of, pair.user_id))[0] is True

        await on_b.close()
        is_online, last_seen_at = await _wait_for_presence(pair.user_id, False, timeout=5)
        assert is_online is False
        assert last_seen_at is not None
        went_offline = await expert.expect("presence", user_id=str(pair.user_id), is_online=False)
        assert went_offline["last_seen_at"]
        # Nobody told the expert the user was offline while a socket was still open.
        offline_frames = [
            frame
            for frame in expert.frames
            if frame["type"] == "presence" and frame["is_online"] is False
        ]
        assert len(offline_frames) == 1
    finally:
        await expert.close()


async def test_users_of_a_killed_process_go_offline_within_the_presence_timeout(launch_servers):
    server_a, server_b = launch_servers(2, PRESENCE_TIMEOUT=str(PRESENCE_TIMEOUT_SECONDS))
    pair = await active_pair()
    # The expert's socket on B keeps B's heartbeat and sweep running.
    expert = await Socket.open(server_b, pair.expert_token)
    user = await Socket.open(server_a, pair.user_token)
    try:
        assert (await _wait_for_presence(pair.user_id, True, timeout=5))[0] is True
        await expert.expect("presence", user_id=str(pair.user_id), is_online=True)

        killed_at = time.monotonic()
        server_a.kill_hard()
        is_online, last_seen_at = await _wait_for_presence(
            pair.user_id, False, timeout=PRESENCE_TIMEOUT_SECONDS + SWEEP_GRACE_SECONDS
        )
        took = time.monotonic() - killed_at

        assert is_online is False, f"still online {took:.1f}s after the process died"
        assert last_seen_at is not None
        notice = await expert.expect("presence", user_id=str(pair.user_id), is_online=False)
        assert notice["last_seen_at"]
        # The expert, on the surviving process, never went offline.
        assert (await in_db(_presence_of, pair.expert_id))[0] is True
    finally:
        await user.close()
        await expert.close()
