"""Every frame a real server exchanges in a conversation validates against the AsyncAPI document
that server publishes: each type of server frame is triggered, each received frame checked
against its message's payload schema, and each client frame sent against its own."""

from collections.abc import Callable
from typing import Any
from uuid import uuid4

from tests.e2e.client import Socket, api_json
from tests.e2e.scenario import E2E, Pair, active_pair, in_db
from tests.e2e.servers import DaphneServer
from tests.helpers.asyncapi import FrameChecker, message_names, payload_type

pytestmark = E2E


def _uploaded(pair: Pair) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import User
    from chat.attachments.services import attachment_upload
    from tests.helpers.attachments import PNG

    attachment = attachment_upload(
        request_id=pair.request_id,
        uploader=User.objects.get(pk=pair.user_id),
        file=SimpleUploadedFile("shot.png", PNG),
    )
    return str(attachment.pk)


class Conversation:
    """Two sockets of one ACTIVE request, recording every client frame sent on them."""

    def __init__(self, server: DaphneServer, pair: Pair, user: Socket, expert: Socket) -> None:
        self.server = server
        self.pair = pair
        self.user = user
        self.expert = expert
        self.sent: list[dict[str, Any]] = []
        self.request_id = str(pair.request_id)

    async def send(self, socket: Socket, frame: dict[str, Any]) -> None:
        self.sent.append(frame)
        await socket.send(frame)

    async def chat(self) -> None:
        """joined, presence, typing, new-message, read, authenticated and error frames."""
        await self.expert.expect("presence", user_id=str(self.pair.user_id))
        for socket, ref in ((self.user, "join-user"), (self.expert, "join-expert")):
            join = {"type": "join-request", "request_id": self.request_id, "ref": ref}
            await self.send(socket, {**join, "after_seq": 0})
            await socket.expect("joined", ref=ref)
        await self.send(self.user, self._in_room("typing", is_typing=True))
        await self.expert.expect("typing", is_typing=True)
        await self.send(self.user, self._in_room("send-message", content="Hi", client_id="c-1"))
        await self.expert.expect("new-message")
        file_id = await in_db(_uploaded, self.pair)
        await self.send(self.user, self._in_room("send-message", attachment_ids=[file_id]))
        await self.expert.expect("new-message")
        await self.send(self.expert, self._in_room("read", seq=1, ref="seen"))
        await self.expert.expect("read", ref="seen", seq=1)
        await self.user.expect("read", user_id=str(self.pair.expert_id), seq=1)
        await self.send(self.user, {"type": "authenticate", "token": self.pair.user_token})
        await self.user.expect("authenticated")
        await self._provoke_errors()

    async def _provoke_errors(self) -> None:
        elsewhere = {"type": "typing", "request_id": str(uuid4()), "is_typing": True, "ref": 3}
        await self.send(self.user, elsewhere)
        await self.user.expect("error", code="not_joined", ref=3)
        await self.user.send_raw("not JSON")
        await self.user.expect("error", code="invalid_payload")

    async def queue_and_close(self) -> None:
        """request-queued, request-taken, left and request-updated frames, through REST."""
        # The expert is at capacity: a second request waits in their queue.
        waiting = await self._as_user("/api/requests/", {"title": "Second", "description": "!"})
        await self.expert.expect("request-queued")
        await self._as_user(f"/api/requests/{waiting['id']}/cancel/", {})
        await self.expert.expect("request-taken", request_id=waiting["id"])
        await self.send(self.expert, self._in_room("leave-request", ref="bye"))
        await self.expert.expect("left", ref="bye")
        await self._as_user(f"/api/requests/{self.request_id}/close/", {})
        for socket in (self.user, self.expert):
            await _expect_status(socket, "CLOSED")

    def _in_room(self, frame_type: str, **fields: Any) -> dict[str, Any]:
        return {"type": frame_type, "request_id": self.request_id, **fields}

    async def _as_user(self, path: str, body: dict[str, Any]) -> Any:
        return await api_json(self.server, path, token=self.pair.user_token, body=body)


async def _expect_status(socket: Socket, status: str) -> None:
    """Wait for a `request-updated` with this status (the updates of other requests pass by)."""
    while (await socket.expect("request-updated"))["request"]["status"] != status:
        pass


def _invalid(frames: list[dict[str, Any]], check: Callable[[dict[str, Any]], list[str]]) -> list:
    return [f"{frame['type']}: {error}" for frame in frames for error in check(frame)]


async def test_every_frame_of_a_real_conversation_validates_against_the_served_document(server):
    document = await api_json(server, "/api/asyncapi.json")
    frames = FrameChecker(document)
    pair = await active_pair()
    expert = await Socket.open(server, pair.expert_token)
    user = await Socket.open(server, pair.user_token)
    conversation = Conversation(server, pair, user, expert)
    try:
        await conversation.chat()
        await conversation.queue_and_close()
    finally:
        await user.close()
        await expert.close()

    received = user.frames + expert.frames
    documented = {payload_type(document, name) for name in message_names(document, "send")}
    # A server frame type added to the protocol must be triggered here too.
    assert {frame["type"] for frame in received} == documented
    assert _invalid(received, frames.server_errors) == []
    assert _invalid(conversation.sent, frames.client_errors) == []
