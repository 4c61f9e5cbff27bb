"""Each metric of the real-time layer moves when its event happens (the real ASGI application,
middleware included, and the real channel layer)."""

import asyncio
import threading
import time

import pytest
from django.test import override_settings

from chat.async_db import _MeteredPool
from tests.chat.test_delivery import broadcast_raw, store_silently
from tests.helpers.metrics import Moves
from tests.helpers.sockets import (
    WAIT,
    ask,
    communicator,
    connected,
    drain,
    joined,
    receive_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_an_accepted_handshake_is_counted_timed_and_held_open_until_it_closes(user):
    accepted = Moves("expert_support_websocket_handshakes_accepted_total")
    timed = Moves("expert_support_websocket_handshake_seconds_count")
    open_sockets = Moves("expert_support_websocket_open_sockets")

    socket = await connected(user)

    assert (accepted.by, timed.by, open_sockets.by) == (1, 1, 1)
    await socket.disconnect()
    await asyncio.sleep(0.1)
    assert open_sockets.by == 0


async def test_refused_handshakes_are_counted_by_reason(user):
    unauthenticated = Moves(
        "expert_support_websocket_handshakes_refused_total", reason="unauthenticated"
    )
    origin = Moves("expert_support_websocket_handshakes_refused_total", reason="origin")
    open_sockets = Moves("expert_support_websocket_open_sockets")

    for socket in (communicator("not-a-token"), communicator(None, origin="https://evil.example")):
        ok, _ = await socket.connect(timeout=WAIT)
        assert not ok
        await socket.disconnect()

    assert (unauthenticated.by, origin.by, open_sockets.by) == (1, 1, 0)


async def test_frames_are_counted_by_type_and_error_frames_by_code(active_request, requester):
    joins = Moves("expert_support_websocket_frames_received_total", type="join-request")
    sends = Moves("expert_support_websocket_frames_received_total", type="send-message")
    invalid = Moves("expert_support_websocket_frames_received_total", type="invalid")
    not_joined = Moves("expert_support_websocket_error_frames_total", code="not_joined")
    unknown = Moves("expert_support_websocket_error_frames_total", code="unknown_type")
    stored = Moves("expert_support_messages_stored_total")

    socket = await connected(requester)
    request_id = str(active_request.pk)
    refused = await ask(socket, {"type": "send-message", "request_id": request_id, "content": "x"})
    await ask(socket, {"type": "join-request", "request_id": request_id})
    await ask(socket, {"type": "send-message", "request_id": request_id, "content": "hello"})
    repeated = {"type": "send-message", "request_id": request_id, "content": "hi", "client_id": "c"}
    await ask(socket, repeated)
    await ask(socket, repeated)  # the same client_id: answered with the original, not stored
    await ask(socket, {"type": "no-such-frame"})
    await socket.disconnect()

    assert refused["code"] == "not_joined"
    assert (joins.by, sends.by, invalid.by) == (1, 4, 1)
    assert (not_joined.by, unknown.by) == (1, 1)
    assert stored.by == 2


async def test_a_broadcast_delivered_to_the_other_participant_is_timed_and_the_echo_is_not(
    active_request, requester, assigned_expert
):
    latency = Moves("expert_support_broadcast_latency_seconds_count")
    gap_fills = Moves("expert_support_delivery_gap_fills_total")
    expert_socket = await joined(assigned_expert, active_request)
    user_socket = await joined(requester, active_request)

    await ask(
        user_socket,
        {"type": "send-message", "request_id": str(active_request.pk), "content": "hello"},
    )
    await receive_until(expert_socket, "new-message")
    await asyncio.sleep(0.1)  # the sender's own echo, dropped as a duplicate

    assert latency.by == 1
    assert gap_fills.by == 0
    await user_socket.disconnect()
    await expert_socket.disconnect()


async def test_a_broadcast_after_a_lost_one_counts_a_gap_fill(
    active_request, requester, assigned_expert
):
    gap_fills = Moves("expert_support_delivery_gap_fills_total")
    socket = await joined(requester, active_request)
    await store_silently(active_request, assigned_expert, "lost")
    second = await store_silently(active_request, assigned_expert, "arrives")

    await broadcast_raw(second)
    await drain(socket)

    assert gap_fills.by == 1
    await socket.disconnect()


@override_settings(CHAT_SYNC_INTERVAL=0.2)
async def test_a_lost_last_broadcast_counts_a_catch_up(active_request, requester, assigned_expert):
    catch_ups = Moves("expert_support_delivery_catch_ups_total")
    socket = await joined(requester, active_request)

    await store_silently(active_request, assigned_expert, "lost in transit")
    await receive_until(socket, "new-message")

    assert catch_ups.by == 1
    await socket.disconnect()


def test_database_calls_waiting_for_a_thread_of_the_pool_are_counted():
    queued = Moves("expert_support_orm_queue_depth")
    pool = _MeteredPool(1, "orm-test")
    release = threading.Event()
    try:
        busy = pool.submit(release.wait, WAIT)
        waiting = [pool.submit(lambda: None) for _ in range(3)]
        # The first call holds the only thread (once it has started); the three others wait.
        for _ in range(100):
            if queued.by == 3:
                break
            time.sleep(0.01)
        assert queued.by == 3
        release.set()
        for future in [busy, *waiting]:
            future.result(timeout=WAIT)
        assert queued.by == 0
    finally:
        release.set()
        pool.shutdown()
