"""An expert's socket in the queue groups (chat.groups.queue_group): the groups of its expert's
skills and the one of every expert, joined on connect and moved when the skills change. A queue
notification reaches all of them in one broadcast; each socket passes it on only while its
expert is available, and not to the expert who took the request."""

from typing import Any

from chat.async_db import in_worker_thread
from chat.groups import QueueEvent, QueueSeatEvent, queue_group
from support.selectors import expert_queue_seat


class QueueSeats:
    """Mixin of the chat consumer (which provides channel_layer, channel_name, send_frame)."""

    channel_layer: Any
    channel_name: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The skills whose queue groups this socket is in (None: not an expert's socket).
        self.queue_skill_ids: set[int] | None = None
        self.queue_available = False

    async def take_queue_seat(self, *, user_id: Any) -> None:
        seat = await in_worker_thread(expert_queue_seat)(expert_id=user_id)
        if seat is None:
            return
        self.queue_skill_ids = set()
        await self.channel_layer.group_add(queue_group(None), self.channel_name)
        await self._move_to(set(seat["skill_ids"]), available=seat["is_available"])

    def queue_groups(self) -> list[str]:
        if self.queue_skill_ids is None:
            return []
        return [queue_group(None), *(queue_group(skill) for skill in self.queue_skill_ids)]

    async def _move_to(self, skill_ids: set[int], *, available: bool) -> None:
        assert self.queue_skill_ids is not None
        for skill in skill_ids - self.queue_skill_ids:
            await self.channel_layer.group_add(queue_group(skill), self.channel_name)
        for skill in self.queue_skill_ids - skill_ids:
            await self.channel_layer.group_discard(queue_group(skill), self.channel_name)
        self.queue_skill_ids = skill_ids
        self.queue_available = available

    # --- channel-layer events -----------------------------------------------------------------

    async def chat_queue(self, event: QueueEvent) -> None:
        user = getattr(self, "user", None)
        if self.queue_available and user is not None and str(user.pk) != event["taker_id"]:
            await self.send_frame(event["frame"])  # type: ignore[attr-defined]

    async def queue_seat(self, event: QueueSeatEvent) -> None:
        if self.queue_skill_ids is not None:
            await self._move_to(set(event["skill_ids"]), available=event["is_available"])
