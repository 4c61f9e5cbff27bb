"""Text PostgreSQL cannot store (NUL) or UTF-8 cannot encode (an unpaired surrogate, which a JSON
`\\ud800` escape can carry) is refused alike by both ways of posting a message: 400 over REST,
`invalid_payload` over the socket. Never `server_error`, which tells a client to retry."""

import json

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from chat.models import Message
from tests.helpers.api import client_for
from tests.helpers.sockets import ask, joined

pytestmark = pytest.mark.django_db(transaction=True)

UNSTORABLE = {"nul": "a\x00b", "lone-high-surrogate": "a\ud800b", "lone-low-surrogate": "\udc00"}


@database_sync_to_async
def rest_post(request, user, body: dict) -> tuple[int, dict]:
    url = reverse("request-messages", kwargs={"request_id": request.pk})
    # As a client sends it: json.dumps escapes a lone surrogate (DRF's test renderer cannot).
    response = client_for(user).post(url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


@database_sync_to_async
def stored_count(request) -> int:
    return Message.objects.filter(request=request).count()


@pytest.mark.parametrize("field", ["content", "client_id"])
@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_unstorable_text_is_refused_by_rest_and_by_the_socket(
    active_request, requester, field, text
):
    body = {"content": "Hello", field: text}

    status, errors = await rest_post(active_request, requester, body)
    socket = await joined(requester, active_request)
    answer = await ask(
        socket,
        {"type": "send-message", "request_id": str(active_request.pk), **body, "ref": "t"},
    )

    assert (status, list(errors)) == (400, [field])
    assert (answer["type"], answer["code"], answer["ref"]) == ("error", "invalid_payload", "t")
    assert field in answer["detail"]
    assert await stored_count(active_request) == 0
    await socket.disconnect()
