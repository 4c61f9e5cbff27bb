"""What accounts announces (core.events publishes it; chat subscribes)."""

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class UserDeactivated:
    """Staff turned the account off: its open sockets must go, on every process."""

    user_id: UUID
