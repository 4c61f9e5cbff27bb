"""The faults the tests inject, each a way to break the service while pairs chat (the run
itself is tests/e2e/faults/run.py)."""

import asyncio
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from websockets.exceptions import InvalidHandshake

from tests.e2e.client import Endpoint, open_connection
from tests.e2e.faults import database
from tests.e2e.faults.database import in_throwaway_db
from tests.e2e.faults.outcome import HealthProbe
from tests.e2e.faults.participant import ANSWER_SECONDS, Connection, Participant
from tests.e2e.faults.run import SHUTDOWN_DRAIN_SECONDS, Fault, Run, until
from tests.e2e.faults.services import Services
from tests.e2e.servers import DaphneServer, Launcher, start_launcher, start_servers, stop_servers

# After SIGTERM, a process has this long beyond the drain to exit (daphne took 1 to 3.7 s to
# stop in these runs; tests/e2e/test_shutdown.py allows 5).
EXIT_GRACE_SECONDS = 3
# A process that stopped must be swept (its users' presence recomputed) within this.
SWEEP_TIMEOUT_SECONDS = 15
REPLACEMENT_TIMEOUT_SECONDS = 15
# Handshakes begin to be refused this soon after SIGTERM (time for the signal to be handled).
STOP_ACCEPTING_WITHIN_SECONDS = 0.2
HANDSHAKE_EVERY_SECONDS = 0.2
HEALTH_PATHS = ("/healthz", "/healthz/live")


def health_probe(server: DaphneServer, path: str) -> HealthProbe:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"{server.http_url}{path}", timeout=ANSWER_SECONDS) as reply:
            status: int | None = reply.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError):
        status = None
    return HealthProbe(server.name, path, status, time.monotonic() - started)


class OnTwoDaphnes(Fault):
    """Two daphne processes; pair i has its customer on one and its expert on the other."""

    def __init__(self) -> None:
        self.servers: list[DaphneServer] = []

    def start(self, services: Services, log_dir: Path, env: dict[str, str]) -> None:
        self.services = services
        self.servers = start_servers(2, log_dir, first=0, **env)

    def stop(self) -> None:
        stop_servers(self.servers)

    def endpoints(self, index: int) -> tuple[Endpoint, Endpoint, list[Endpoint]]:
        home, away = self.servers[index % 2], self.servers[(index + 1) % 2]
        return home, away, list(self.servers)

    def logs(self) -> dict[str, str]:
        return {
            server.name: server.stderr_log.read_text(errors="replace") for server in self.servers
        }


class ServiceOutage(OnTwoDaphnes):
    """PostgreSQL or Redis stops while pairs chat, and comes back `down_seconds` later (at
    once, for a restart). While it is down, each customer joins a room nobody has joined yet
    (a frame that needs the database, and a new Redis subscription). With `ask_health`, each
    server's health endpoints are asked too, and the service stays down until they answered:
    a readiness probe may retry for a few seconds, and must see the outage, not its end."""

    def __init__(
        self,
        name: str,
        *,
        stop: Callable[[Services], None],
        down_seconds: float,
        presence_timeout: int,
        ask_health: bool = False,
    ) -> None:
        super().__init__()
        self.name = name
        self._stop_service = stop
        self.down_seconds = down_seconds
        self.presence_timeout = presence_timeout
        self.ask_health = ask_health

    async def inject(self, run: Run) -> None:
        users = [chat.user for chat in run.chats]
        run.fault_at = time.monotonic()
        await asyncio.to_thread(self._stop_service, self.services)
        down_since = time.monotonic()
        joins = [
            user.probe({"type": "join-request", "request_id": str(pair.spare_request_id)})
            for user, pair in zip(users, run.pairs, strict=True)
        ]
        health = [
            asyncio.to_thread(health_probe, server, path)
            for server in self.servers
            for path in HEALTH_PATHS
            if self.ask_health
        ]
        probes = await asyncio.gather(*joins)
        run.probes = [probe for probe in probes if probe is not None]
        run.health = list(await asyncio.gather(*health))
        await asyncio.sleep(max(0.0, self.down_seconds - (time.monotonic() - down_since)))
        await asyncio.to_thread(self.services.ensure_running)
        run.back_at = time.monotonic()
        run.facts["down_for_s"] = round(run.back_at - run.fault_at, 2)


class SigTerm(OnTwoDaphnes):
    """SIGTERM to one of the two processes while its sockets chat; its clients reconnect to
    the other one."""

    name = "sigterm"
    presence_timeout = 3

    def __init__(self) -> None:
        super().__init__()
        self.on_victim: list[Participant] = []

    async def inject(self, run: Run) -> None:
        victim = self.servers[0]
        on_victim = [
            p for p in run.participants if p.connection and p.connection.endpoint == victim.ws_url
        ]
        run.fault_at = run.back_at = time.monotonic()
        victim.process.terminate()
        accepted = await self._handshakes_accepted_until_exit(victim, run.participants[0].token)
        exited = await until(
            lambda: victim.process.poll() is not None,
            seconds=SHUTDOWN_DRAIN_SECONDS + EXIT_GRACE_SECONDS - (time.monotonic() - run.fault_at),
        )
        run.facts["exited_after_s"] = round(time.monotonic() - run.fault_at, 2) if exited else None
        run.facts["handshakes_accepted_after_sigterm"] = accepted
        run.facts["on_victim"] = [participant.name for participant in on_victim]
        run.facts["victim_pid"] = victim.pid
        self.on_victim = on_victim

    async def _handshakes_accepted_until_exit(
        self, victim: DaphneServer, token: str
    ) -> list[float]:
        """Try a handshake every 0.2 s from just after SIGTERM until the process exits; the
        times (after SIGTERM) of those that were accepted."""
        accepted = []
        deadline = time.monotonic() + SHUTDOWN_DRAIN_SECONDS + EXIT_GRACE_SECONDS
        signalled = time.monotonic()
        await asyncio.sleep(STOP_ACCEPTING_WITHIN_SECONDS)
        while victim.process.poll() is None and time.monotonic() < deadline:
            try:
                connection = await open_connection(victim, token)
            except (OSError, TimeoutError, InvalidHandshake):
                pass  # refused: what a stopping process must do
            else:
                accepted.append(round(time.monotonic() - signalled, 2))
                await connection.close()
            await asyncio.sleep(HANDSHAKE_EVERY_SECONDS)
        return accepted

    async def settle(self, run: Run) -> None:
        # By now the victim's sockets are long closed: (participant, close code, seconds after
        # SIGTERM) of each.
        run.facts["victim_closes"] = [
            (participant.name, _close_code(connection), _seconds_after(run, connection.closed_at))
            for participant in self.on_victim
            for connection in participant.connections[:1]
        ]
        await _wait_until_swept(run, pid=self.servers[0].pid)


def _close_code(connection: Connection) -> int | None:
    return None if connection.close_code is None else int(connection.close_code)


def _seconds_after(run: Run, moment: float | None) -> float | None:
    return None if moment is None else round(moment - run.fault_at, 2)


async def _wait_until_swept(run: Run, *, pid: int) -> None:
    started = time.monotonic()

    async def swept() -> bool:
        return not await in_throwaway_db(database.process_is_registered, pid)

    done = await until(swept, seconds=SWEEP_TIMEOUT_SECONDS)
    run.facts["swept_after_s"] = round(time.monotonic() - started, 2) if done else None


class WorkerKilled(Fault):
    """kill -9 of one worker of `python -m config.serve --workers 2` while pairs chat on both;
    the launcher starts a new one, the killed worker's clients reconnect to the port."""

    name = "worker-killed"
    presence_timeout = 3

    def __init__(self) -> None:
        self._launcher: Launcher | None = None

    @property
    def launcher(self) -> Launcher:
        assert self._launcher is not None, "not started"
        return self._launcher

    def start(self, services: Services, log_dir: Path, env: dict[str, str]) -> None:
        self._launcher = start_launcher(2, log_dir, **env)

    def stop(self) -> None:
        if self._launcher is not None:
            self._launcher.stop()

    def endpoints(self, index: int) -> tuple[Endpoint, Endpoint, list[Endpoint]]:
        return self.launcher, self.launcher, []

    def logs(self) -> dict[str, str]:
        return {"launcher": self.launcher.log.read_text(errors="replace")}

    def _worker_of_each_socket(self) -> dict[int, int]:
        """Client-side port -> PID of the worker holding that socket."""
        owners = {}
        for worker in self.launcher.workers():
            for connection in worker.net_connections(kind="tcp"):
                if connection.laddr.port == self.launcher.port and connection.raddr:
                    owners[connection.raddr.port] = worker.pid
        return owners

    async def inject(self, run: Run) -> None:
        owners = await asyncio.to_thread(self._worker_of_each_socket)
        by_worker: dict[int, list[str]] = {}
        for participant in run.participants:
            port = participant.connection.local_port if participant.connection else None
            if port in owners:
                by_worker.setdefault(owners[port], []).append(participant.name)
        victim = max(by_worker, key=lambda pid: len(by_worker[pid]))
        run.facts["sockets_per_worker"] = {pid: len(names) for pid, names in by_worker.items()}
        run.facts["victim_pid"] = victim
        run.fault_at = run.back_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)

        def replaced() -> bool:
            pids = {worker.pid for worker in self.launcher.workers()}
            return len(pids) == 2 and victim not in pids

        ok = await until(replaced, seconds=REPLACEMENT_TIMEOUT_SECONDS)
        run.facts["replaced_after_s"] = round(time.monotonic() - run.fault_at, 2) if ok else None

    async def settle(self, run: Run) -> None:
        pid = run.facts["victim_pid"]
        assert isinstance(pid, int)
        await _wait_until_swept(run, pid=pid)


# Every fault, by the name the tests use.
FAULTS: dict[str, Callable[[], Fault]] = {
    # A restart (fast shutdown: every session is cut), shorter than PRESENCE_TIMEOUT.
    "postgres-restart": lambda: ServiceOutage(
        "postgres-restart",
        stop=lambda services: services.postgres.stop("fast"),
        down_seconds=0,
        presence_timeout=5,
    ),
    # A crash (immediate stop, WAL recovery at the start), down longer than PRESENCE_TIMEOUT:
    # every process's heartbeat is stale by the time the database is back.
    "postgres-down": lambda: ServiceOutage(
        "postgres-down",
        stop=lambda services: services.postgres.stop("immediate"),
        down_seconds=5,
        presence_timeout=2,
        ask_health=True,
    ),
    # Every pub/sub subscription and every group is gone with it.
    "redis-restart": lambda: ServiceOutage(
        "redis-restart",
        stop=lambda services: services.redis.stop(),
        down_seconds=0,
        presence_timeout=5,
    ),
    "redis-down": lambda: ServiceOutage(
        "redis-down",
        stop=lambda services: services.redis.stop(),
        down_seconds=3,
        presence_timeout=5,
        ask_health=True,
    ),
    "worker-killed": WorkerKilled,
    "sigterm": SigTerm,
}
