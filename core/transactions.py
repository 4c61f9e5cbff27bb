"""Work that must happen only once the current transaction has committed."""

from collections.abc import Callable
from typing import Any

from django.db import transaction


def after_commit(function: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:
    """Call `function(*args, **kwargs)` once the current transaction commits (at once outside a
    transaction; never if it rolls back). A failure is logged, naming the function, and raised
    to nobody: what was committed stays committed, and the other callbacks still run.

    Django's robust on_commit names a failed callback by its `__qualname__`, which a
    functools.partial lacks: the log call itself would then fail and raise into the caller."""

    def call() -> None:
        function(*args, **kwargs)

    call.__qualname__ = getattr(function, "__qualname__", repr(function))
    transaction.on_commit(call, robust=True)
