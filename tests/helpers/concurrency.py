"""Real concurrency for the tests: threads released together, each with its own connection."""

import threading
from collections.abc import Callable

from django.db import connection


def run_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread, all released together by a barrier; returns each call's
    result, or the exception it raised. Each thread closes its own database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
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
