"""Channel-layer group names and the one way the rest of the project talks to sockets.

Every socket joins its user's personal group on connect, and a request's room group when it
joins that request. Services never talk to sockets directly: they call `broadcast` from a
`transaction.on_commit` callback.
"""

import logging
from collections.abc import Iterable
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def user_group(user_id: UUID | str) -> str:
    return f"user.{UUID(str(user_id)).hex}"


def request_group(request_id: UUID | str) -> str:
    return f"request.{UUID(str(request_id)).hex}"


# Channel-layer event types; the consumer has one handler for each (dots become underscores).
EVENT_FRAME = "client.frame"  # {"frame": {...}}: forward the frame to the socket as it is
EVENT_MESSAGE = "chat.message"  # {"message": {...}}: a stored chat message, delivered by seq
EVENT_TYPING = "chat.typing"  # {"frame": {...}, "sender_channel": str}: to all but the sender


def frame_event(frame: dict) -> dict:
    return {"type": EVENT_FRAME, "frame": frame}


async def abroadcast(groups: Iterable[str], event: dict) -> None:
    """Send one event to several groups. A channel-layer failure is logged, never raised:
    whatever was committed stays committed, and sockets catch up from the database."""
    layer = get_channel_layer()
    for group in dict.fromkeys(groups):
        try:
            await layer.group_send(group, event)
        except Exception:
            logger.exception("channel layer: could not send %s to %s", event.get("type"), group)


def broadcast(groups: Iterable[str], event: dict) -> None:
    async_to_sync(abroadcast)(list(groups), event)
