"""The worker: the project's background jobs, run with no service of their own.

Each app registers its jobs in its `AppConfig.ready()` (webhook deliveries, offline emails, the
request timeouts, clean-ups). A job is a function that does the work that is due now and says
how much it did; the worker runs each in a thread of its own (a slow webhook receiver never
holds up a timeout), again at once while it finds work and after its interval when it finds
none. The work itself is rows in the database claimed with `SELECT … FOR UPDATE SKIP LOCKED`
(core.leases), so any number of processes may run the worker at once and each item is done
once.

It runs inside every server process by default (started with its first request or socket), or
alone with `python manage.py run_worker` (then set WORKER_IN_SERVER=false on the servers).
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections

from core.metrics import WORKER_FAILURES, WORKER_ITEMS
from core.outages import DATABASE, dependency_failed

logger = logging.getLogger("core.worker")

# A job that keeps finding work runs again at once, but rests this long after this many runs in
# a row, so a flood of work cannot starve the process's other threads of the GIL.
_BURST_RUNS = 50
_BURST_REST_SECONDS = 0.05


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], int]  # does what is due now; returns how many items it handled
    every: float  # seconds between runs that found nothing to do
    # Seconds the oldest due item has been waiting (None: nothing is due), for /healthz and
    # /metrics.
    backlog: Callable[[], float | None] | None = None
    # How many items are due now (for /metrics).
    pending: Callable[[], int] | None = None
    # Threads running the job side by side (items waiting on a slow network are done in
    # parallel; each thread claims its own).
    threads: int = 1


_jobs: dict[str, Job] = {}


def register(
    name: str,
    run: Callable[[], int],
    *,
    every: float,
    backlog: Callable[[], float | None] | None = None,
    pending: Callable[[], int] | None = None,
    threads: int = 1,
) -> None:
    """Run `run` in the worker (registering a name again replaces its job)."""
    _jobs[name] = Job(
        name=name, run=run, every=every, backlog=backlog, pending=pending, threads=threads
    )


def registered() -> list[Job]:
    return list(_jobs.values())


class Worker:
    """Runs the registered jobs, each in a daemon thread of its own, until stopped."""

    def __init__(self, jobs: list[Job] | None = None) -> None:
        self._jobs = jobs if jobs is not None else registered()
        self._stop = threading.Event()
        self._wake = {
            (job.name, index): threading.Event()
            for job in self._jobs
            for index in range(job.threads)
        }
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for job in self._jobs:
            for index in range(job.threads):
                self._start_thread(job, index)
        logger.info("Worker started: %s", ", ".join(job.name for job in self._jobs) or "no jobs")

    def _start_thread(self, job: Job, index: int) -> None:
        thread = threading.Thread(
            target=self._loop, args=(job, index), name=f"worker:{job.name}:{index}", daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def wake(self, name: str | None = None) -> None:
        """Run a job (or all of them) now rather than after its interval: work became due."""
        for (job_name, _), event in self._wake.items():
            if name is None or name == job_name:
                event.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the items in hand are done (each within `timeout` seconds at most)."""
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, job: Job, index: int) -> None:
        wake = self._wake[(job.name, index)]
        busy_runs = 0
        try:
            while not self._stop.is_set():
                handled = run_once(job)
                if handled and busy_runs < _BURST_RUNS:
                    busy_runs += 1
                    continue
                wait = _BURST_REST_SECONDS if handled else job.every
                busy_runs = 0
                wake.wait(wait)
                wake.clear()
        finally:
            connections.close_all()


def run_once(job: Job) -> int:
    """One run of `job`. A failure counts as no work: the job is tried again after its
    interval, and the rows it claimed are claimed again once their lease runs out. An outage
    (the database away) is reported to core.outages, which logs it once, not once a second per
    job; any other failure is logged with its traceback."""
    close_old_connections()
    try:
        handled = job.run()
    except Exception as exc:
        WORKER_FAILURES.labels(job.name).inc()
        if dependency_failed(exc) is None:
            logger.exception("Worker job %s failed", job.name)
        return 0
    else:
        if handled:
            WORKER_ITEMS.labels(job.name).inc(handled)
            # Work was read from the database and done: it answers. (A run that found nothing
            # to do may not have asked it anything: a job whose feature is switched off.)
            DATABASE.answered()
        return handled
    finally:
        close_old_connections()


class _ProcessWorker:
    """The worker of this process, when it runs one (see `start_in_process`)."""

    worker: Worker | None = None
    lock = threading.Lock()


def start_in_process() -> Worker | None:
    """Start this process's worker once (if WORKER_IN_SERVER is on)."""
    if not settings.WORKER_IN_SERVER:
        return None
    with _ProcessWorker.lock:
        if _ProcessWorker.worker is None:
            _ProcessWorker.worker = Worker()
            _ProcessWorker.worker.start()
        return _ProcessWorker.worker


def serving(application: Any) -> Any:
    """`application`, starting this process's worker with its first request or socket."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if _ProcessWorker.worker is None and scope["type"] in ("http", "websocket"):
            start_in_process()
        await application(scope, receive, send)

    return app


def wake(name: str) -> None:
    """Tell this process's worker, if it runs one, that `name` has work due now (the other
    processes' workers find it at their next run)."""
    worker = _ProcessWorker.worker
    if worker is not None:
        worker.wake(name)


def stop_in_process(timeout: float = 10.0) -> None:
    with _ProcessWorker.lock:
        worker, _ProcessWorker.worker = _ProcessWorker.worker, None
    if worker is not None:
        worker.stop(timeout)
