"""What one server process keeps for all its sockets."""

from typing import Any

from chat.presence import PresenceKeeper
from chat.sync import RoomSync


class ProcessHub:
    """The per-process side of the real-time layer, given to every socket's consumer: presence
    (the process's sockets, its heartbeat and the sweep of dead processes) and the catch-up of
    quiet rooms. Each runs its background task in the event loop that serves the application.
    Everything that must be shared between processes lives in PostgreSQL and Redis, not here."""

    def __init__(self) -> None:
        self.presence = PresenceKeeper()
        self.room_sync = RoomSync()

    def serving(self, application: Any) -> Any:
        """`application`, starting the process's heartbeat with its first request or socket:
        every server process heart-beats and sweeps, whether it holds sockets or not."""

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] in ("http", "websocket"):
                self.presence.start()
            await application(scope, receive, send)

        return app

    async def stopped(self) -> None:
        """Stop the background tasks and wait for them to end."""
        await self.presence.stopped()
