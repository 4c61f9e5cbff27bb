"""Real concurrency for the tests: threads released together, each with its own connection."""

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def run_at_once(calls: Sequence[Callable[[], T]]) -> list[T | Exception | None]:
    """Run each call in its own thread, all released together by a barrier; returns each call's
    result, or the exception it raised (None if it never finished). Each thread closes its own
    database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[T | Exception | None] = [None] * len(calls)

    def worker(index: int, call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def returned(results: Sequence[T | Exception | None]) -> list[T]:
    """The value each call of `run_at_once` returned; fails the test if one raised or never
    finished instead."""
    values: list[T] = []
    for result in results:
        assert result is not None, "the call never finished"
        assert not isinstance(result, Exception), result
        values.append(result)
    return values
