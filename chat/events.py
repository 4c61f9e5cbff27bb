"""What chat announces (core.events publishes it; integrations subscribes)."""

from dataclasses import dataclass

from chat.models import Message


@dataclass(frozen=True)
class MessageStored:
    """A chat message was stored (published inside the storing transaction); its sender is
    loaded."""

    message: Message
