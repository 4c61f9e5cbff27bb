"""A user deactivated by staff loses their open sockets at once (close 4003), on every process,
and can no longer send, even with a frame already on its way."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from accounts.models import User
from accounts.services import users_deactivate
from chat.models import Message
from chat.services import message_store
from config.asgi import hub
from core.errors import NotAllowed
from tests.factories import AdminFactory
from tests.helpers.metrics import Moves
from tests.helpers.sockets import WAIT, connected, joined

pytestmark = pytest.mark.django_db(transaction=True)


async def closed_with(socket) -> int:
    output = await socket.receive_output(timeout=WAIT)
    while output["type"] != "websocket.close":
        output = await socket.receive_output(timeout=WAIT)
    return int(output["code"])


async def test_deactivating_an_account_closes_its_sockets_with_4003(active_request, requester):
    first = await connected(requester)
    second = await joined(requester, active_request)

    await database_sync_to_async(users_deactivate)(user_ids=[requester.pk])

    assert await closed_with(first) == 4003
    assert await closed_with(second) == 4003


async def test_staff_deactivate_from_django_admin_and_the_sockets_close(active_request, requester):
    socket = await connected(requester)

    @database_sync_to_async
    def deactivate_in_admin() -> int:
        staff = Client()
        staff.force_login(AdminFactory.create(is_superuser=True))
        response = staff.post(
            "/admin/accounts/user/",
            {"action": "deactivate_selected", "_selected_action": [str(requester.pk)]},
        )
        return response.status_code

    assert await deactivate_in_admin() == 302
    assert await closed_with(socket) == 4003


async def test_a_deactivation_the_event_missed_is_caught_by_the_heartbeat(requester):
    corrected = Moves("expert_support_presence_corrections_total", kind="deactivated")
    socket = await connected(requester)
    # Straight in the database: no event is published.
    await database_sync_to_async(User.objects.filter(pk=requester.pk).update)(is_active=False)

    await hub.presence.beat()

    assert await closed_with(socket) == 4003
    assert corrected.by == 1


@database_sync_to_async
def post_as_deactivated(request_id, user: User) -> tuple[bool, int]:
    User.objects.filter(pk=user.pk).update(is_active=False)
    try:
        message_store(request_id=request_id, sender=user, content="still here?")
    except NotAllowed:
        return True, Message.objects.count()
    return False, Message.objects.count()


async def test_a_deactivated_sender_stores_nothing(active_request, requester):
    refused, stored = await post_as_deactivated(active_request.pk, requester)

    assert refused
    assert stored == 0
