"""Stopping a server process: SIGTERM (what systemd and `config.serve` send) must end it
promptly, whatever its sockets are doing at that moment."""

import asyncio
import time

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, active_pair, in_db

pytestmark = E2E

# systemd's default grace before SIGKILL is 90 s; a healthy daphne needs about one.
PROMPT_EXIT_SECONDS = 5


async def test_sigterm_stops_a_process_promptly_while_chat_sockets_are_open(server):
    pair = await active_pair()
    user = await Socket.open(server, pair.user_token)
    expert = await Socket.open(server, pair.expert_token)
    await user.join(pair.request_id)
    await expert.join(pair.request_id)
    await expert.expect("presence", user_id=str(pair.user_id), is_online=True, timeout=5)

    started = time.monotonic()
    server.process.terminate()
    exited = await asyncio.to_thread(_exit_code_within, server, PROMPT_EXIT_SECONDS)
    took = time.monotonic() - started

    await user.close()
    await expert.close()
    assert exited is not None, f"still running {took:.1f}s after SIGTERM"
    assert not user.is_open
    assert not expert.is_open


def _exit_code_within(server, seconds: float) -> int | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return server.process.returncode
        time.sleep(0.05)
    return None


async def in_db_is_online(user_id) -> bool:
    from accounts.models import User

    return await in_db(lambda: User.objects.get(pk=user_id).is_online)


async def test_sigterm_closes_open_sockets_with_1001_and_cleans_up_their_presence(server):
    pair = await active_pair()
    user = await Socket.open(server, pair.user_token)
    await user.join(pair.request_id)
    assert await in_db_is_online(pair.user_id)

    server.process.terminate()

    assert await user.wait_closed(timeout=PROMPT_EXIT_SECONDS) == 1001
    exited = await asyncio.to_thread(_exit_code_within, server, PROMPT_EXIT_SECONDS)
    assert exited is not None
    assert not await in_db_is_online(pair.user_id)
