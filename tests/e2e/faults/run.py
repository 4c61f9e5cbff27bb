"""The run every fault goes through: several customer/expert pairs chat across two server
processes; once they are warm the fault is injected; they keep chatting until messages flow again;
the chat drains, presence settles, and what the database holds is read while everyone is still
connected. The Outcome holds it all.

Every wait is bounded. A phase that runs out of time does not fail the run: it leaves its traces
in the Outcome, for the tests to judge.
"""

import asyncio
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.client import Endpoint
from tests.e2e.faults import database
from tests.e2e.faults.database import Pair, in_throwaway_db
from tests.e2e.faults.outcome import (
    Chat,
    HealthProbe,
    Outcome,
    loud_log_records,
    presence_not_corrected,
)
from tests.e2e.faults.participant import Attempt, Participant
from tests.e2e.faults.services import Services

PAIRS = 6
# Messages each participant has acknowledged before the fault, and after the service's return.
WARMUP_MESSAGES = 3
RECOVERY_MESSAGES = 3
WARMUP_TIMEOUT_SECONDS = 20
# How long after the service's return the chat may take to get going again before the run
# moves on (the tests hold it to 5 s; this only bounds the wait).
RECOVERY_TIMEOUT_SECONDS = 15
DRAIN_TIMEOUT_SECONDS = 10
# Beyond PRESENCE_TIMEOUT: a process's sweep runs every PRESENCE_TIMEOUT / 3.
PRESENCE_GRACE_SECONDS = 5
POLL_SECONDS = 0.05
# Between two clients' first connects (see _drive).
ARRIVAL_GAP_SECONDS = 0.05
# Set on every server: the process must close its sockets with 1001 within this after SIGTERM.
SHUTDOWN_DRAIN_SECONDS = 2


async def until(condition: Callable[[], Awaitable[bool] | bool], *, seconds: float) -> bool:
    """Poll `condition` until it holds (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result if isinstance(result, bool) else await result:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_SECONDS)


@dataclass
class Run:
    """One scenario in progress: who chats, and what the fault recorded."""

    chats: list[Chat]
    pairs: list[Pair]
    fault_at: float = 0.0
    back_at: float = 0.0
    probes: list[Attempt] = field(default_factory=list)
    health: list[HealthProbe] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def participants(self) -> list[Participant]:
        return [participant for chat in self.chats for participant in (chat.user, chat.expert)]


class Fault(ABC):
    """A way to break the service. Subclasses start the servers, inject the fault (setting the
    run's fault_at and back_at), and wait for whatever must settle afterwards."""

    name: str
    # Given to the servers: how long a process may go without heart-beating before the others
    # count it dead.
    presence_timeout: int = 5

    @abstractmethod
    def start(self, services: Services, log_dir: Path, env: dict[str, str]) -> None:
        """Start the server processes, `env` added to their environment."""

    @abstractmethod
    def stop(self) -> None:
        """Stop every server process started (by PID); safe after a failed start."""

    @abstractmethod
    def endpoints(self, index: int) -> tuple[Endpoint, Endpoint, list[Endpoint]]:
        """Where the user and the expert of pair `index` connect, and where to reconnect."""

    @abstractmethod
    async def inject(self, run: Run) -> None:
        """Break something, and set `run.fault_at` and `run.back_at`."""

    async def settle(self, run: Run) -> None:
        """Wait for what must happen before presence is judged (e.g. a dead process swept)."""
        return

    def logs(self) -> dict[str, str]:
        """What each server process logged so far, by name (read for the outage logging)."""
        return {}


def _participants(fault: Fault, pairs: list[Pair]) -> list[Chat]:
    chats = []
    for index, pair in enumerate(pairs):
        user_at, expert_at, fallbacks = fault.endpoints(index)
        user = Participant(
            name=f"user{index}",
            me=pair.user,
            other_id=pair.expert.user_id,
            request_id=pair.request_id,
            endpoint=user_at,
            fallbacks=[endpoint for endpoint in fallbacks if endpoint is not user_at],
        )
        expert = Participant(
            name=f"expert{index}",
            me=pair.expert,
            other_id=pair.user.user_id,
            request_id=pair.request_id,
            endpoint=expert_at,
            fallbacks=[endpoint for endpoint in fallbacks if endpoint is not expert_at],
        )
        chats.append(Chat(user=user, expert=expert))
    return chats


def _everyone_heard_each_other(run: Run, *, since: float, count: int) -> bool:
    """Each participant has `count` messages acknowledged since `since`, each received by the
    other participant."""
    for chat in run.chats:
        for me, other in chat.sides:
            delivered = [m for m in me.acked(since=since) if m.seq in other.received]
            if len(delivered) < count:
                return False
    return True


def _drained(run: Run) -> bool:
    return all(
        me.pending is None and all(m.seq in other.received for m in me.acked())
        for chat in run.chats
        for me, other in chat.sides
    )


async def _drive(fault: Fault, run: Run, user_ids: list[uuid.UUID]) -> Outcome:
    for participant in run.participants:
        participant.start()
        # Clients arrive one after another, not in one burst: a burst of connects is accepted
        # by whichever launcher worker wakes first, all of it.
        await asyncio.sleep(ARRIVAL_GAP_SECONDS)
    log_offsets: dict[str, int] = {}
    outage_log: dict[str, list[str]] = {}
    try:
        warmed = await until(
            lambda: _everyone_heard_each_other(run, since=0.0, count=WARMUP_MESSAGES),
            seconds=WARMUP_TIMEOUT_SECONDS,
        )
        assert warmed, f"{fault.name}: the pairs never got chatting before the fault"
        log_offsets = {name: len(text) for name, text in fault.logs().items()}
        await fault.inject(run)
        await until(
            lambda: _everyone_heard_each_other(run, since=run.back_at, count=RECOVERY_MESSAGES),
            seconds=RECOVERY_TIMEOUT_SECONDS,
        )
        for participant in run.participants:
            participant.sending = False
        await until(lambda: _drained(run), seconds=DRAIN_TIMEOUT_SECONDS)
        outage_log = {
            name: loud_log_records(text[log_offsets.get(name, 0) :])
            for name, text in fault.logs().items()
        }
        await fault.settle(run)
        online: dict[str, bool] = {}

        async def presence_settled() -> bool:
            online.update(await in_throwaway_db(database.online_flags, user_ids))
            return not presence_not_corrected(run.chats, online)

        await until(
            presence_settled,
            seconds=max(
                1.0,
                run.back_at + fault.presence_timeout + PRESENCE_GRACE_SECONDS - time.monotonic(),
            ),
        )
    finally:
        for participant in run.participants:
            await participant.finish()
    stored = await in_throwaway_db(
        database.stored_messages, [pair.request_id for pair in run.pairs]
    )
    return Outcome(
        scenario=fault.name,
        chats=run.chats,
        fault_at=run.fault_at,
        back_at=run.back_at,
        stored=stored,
        online=online,
        probes=run.probes,
        health=run.health,
        outage_log=outage_log,
        facts=run.facts,
    )


def run_scenario(fault: Fault, services: Services, log_dir: Path) -> Outcome:
    """Start the servers, chat through the fault, stop the servers: the Outcome. The
    throwaway services are running again afterwards, whatever happened."""
    env = {
        "DATABASE_URL": services.database_url,
        "REDIS_URL": services.redis.url,
        # Nothing a previous scenario left in Redis reaches this one.
        "REDIS_PREFIX": f"faults-{uuid.uuid4().hex[:8]}",
        "PRESENCE_TIMEOUT": str(fault.presence_timeout),
        "SHUTDOWN_DRAIN_SECONDS": str(SHUTDOWN_DRAIN_SECONDS),
    }
    with database.throwaway_database(services.database_url):
        pairs = database.create_pairs(PAIRS)
        user_ids = [pair.user.user_id for pair in pairs] + [pair.expert.user_id for pair in pairs]
        fault.start(services, log_dir, env)
        try:
            run = Run(chats=_participants(fault, pairs), pairs=pairs)
            return asyncio.run(_drive(fault, run, user_ids))
        finally:
            fault.stop()
            services.ensure_running()
            database.forget_server_processes()
