"""A coroutine kept running as one background task of the event loop that serves the sockets."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class LoopTask:
    """Started on demand and cancelled on `stop`. Started again if it ended, or if it belongs to
    another event loop than the caller's (one that has closed: each test runs its own loop)."""

    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        task = self._task
        if task is None or task.done() or task.get_loop() is not loop:
            self._task = loop.create_task(self._run(), name=self.name)

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    async def stopped(self) -> None:
        """Stop, and wait until the task has ended (when it runs in the caller's loop)."""
        task, loop = self._task, asyncio.get_running_loop()
        self.stop()
        if task is not None and task.get_loop() is loop:
            await asyncio.gather(task, return_exceptions=True)
