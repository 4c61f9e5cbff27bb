"""request-updated frames reach a participant's socket once, though it hears of the change both
through its own group and through the room it joined."""

import pytest
from channels.db import database_sync_to_async

from support.services import request_close
from tests.helpers.sockets import drain, joined

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_joined_participant_gets_each_status_change_once(
    active_request, requester, assigned_expert
):
    socket = await joined(requester, active_request)
    await drain(socket, skip=set())

    await database_sync_to_async(request_close)(request_id=active_request.pk, actor=requester)

    updates = [f for f in await drain(socket, skip=set()) if f["type"] == "request-updated"]
    assert len(updates) == 1
    assert updates[0]["request"]["id"] == str(active_request.pk)
    assert updates[0]["request"]["status"] == "CLOSED"
    await socket.disconnect()
