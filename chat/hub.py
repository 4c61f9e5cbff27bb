"""What one server process keeps for all its sockets."""

from chat.presence import PresenceKeeper
from chat.sync import RoomSync


class ProcessHub:
    """The per-process side of the real-time layer, given to every socket's consumer: presence
    (the process's sockets and its heartbeat) and the catch-up of quiet rooms. Each runs its
    background task in the event loop that serves the sockets, from the first socket (or joined
    room) that needs it to the last. Everything that must be shared between processes lives in
    PostgreSQL and Redis, not here."""

    def __init__(self) -> None:
        self.presence = PresenceKeeper()
        self.room_sync = RoomSync()
