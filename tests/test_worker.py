"""The worker's loop (core.worker): each job in its own thread, again at once while it finds
work, woken early when work becomes due, and undeterred by a job that fails."""

import threading
import time

from core.worker import Job, Worker


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.01)


def test_a_job_runs_again_at_once_while_it_finds_work_then_waits_for_its_interval():
    backlog = [5]
    runs = []

    def drain() -> int:
        runs.append(time.monotonic())
        if backlog[0]:
            backlog[0] -= 1
            return 1
        return 0

    worker = Worker([Job("drain", drain, every=60)])
    worker.start()
    try:
        wait_until(lambda: len(runs) >= 6)
        time.sleep(0.2)
        assert len(runs) == 6  # 5 items, then one empty run; the next is a minute away
        backlog[0] = 1
        worker.wake("drain")
        wait_until(lambda: len(runs) >= 8)
    finally:
        worker.stop()


def test_a_failing_job_is_logged_and_tried_again(caplog):
    calls = []

    def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database away")
        return 0

    worker = Worker([Job("flaky", flaky, every=0.05)])
    worker.start()
    try:
        wait_until(lambda: len(calls) >= 3)
    finally:
        worker.stop()
    assert "Worker job flaky failed" in caplog.text


def test_jobs_do_not_wait_for_each_other():
    release = threading.Event()
    quick_runs = []

    def slow() -> int:
        release.wait(5)
        return 0

    def quick() -> int:
        quick_runs.append(1)
        return 0

    worker = Worker([Job("slow", slow, every=60), Job("quick", quick, every=0.01)])
    worker.start()
    try:
        wait_until(lambda: len(quick_runs) >= 10)
    finally:
        release.set()
        worker.stop()


def test_a_job_with_several_threads_runs_them_side_by_side():
    barrier = threading.Barrier(3, timeout=5)
    met = []

    def meet() -> int:
        barrier.wait()  # only passes once three runs are in progress at once
        met.append(1)
        return 0

    worker = Worker([Job("meet", meet, every=60, threads=3)])
    worker.start()
    try:
        wait_until(lambda: len(met) >= 3)
    finally:
        worker.stop()


def test_an_outage_is_reported_once_not_logged_by_every_run(caplog):
    from django.db import OperationalError

    from core.outages import DATABASE

    runs = []

    def database_away() -> int:
        runs.append(1)
        if len(runs) <= 5:
            raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
        return 1 if len(runs) == 6 else 0

    worker = Worker([Job("away", database_away, every=0.01)])
    worker.start()
    try:
        wait_until(lambda: len(runs) >= 7)
    finally:
        worker.stop()

    assert "Worker job away failed" not in caplog.text
    assert caplog.text.count("database unreachable") == 1
    assert "database answers again" in caplog.text
    assert not DATABASE.is_down
