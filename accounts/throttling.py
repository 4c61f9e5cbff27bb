"""Per-email limit on failed logins, kept in the cache so every server process shares it.

A window opens with an email's first failure and lasts LOGIN_FAILURE_WINDOW seconds; once the
email has LOGIN_FAILURE_LIMIT failures in it, every login for that email is refused until the
window closes, the right password included. The window is anchored at the first failure rather
than at clock minutes so a burst can never be split across two windows to double the allowance.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

LOGIN_FAILURE_WINDOW = 60


def _keys(email: str) -> tuple[str, str]:
    # Hashed: raw addresses never end up as cache keys (and their length is bounded).
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"login-failures:{digest}", f"login-failures:{digest}:ends-at"


def login_retry_after(*, email: str) -> int | None:
    """Seconds until this email may try again, or None when it is not locked."""
    count_key, ends_key = _keys(email)
    failures = cache.get(count_key, 0)
    if failures < settings.LOGIN_FAILURE_LIMIT:
        return None
    ends_at = cache.get(ends_key) or time.time() + LOGIN_FAILURE_WINDOW
    return max(1, int(ends_at - time.time()) + 1)


def login_failure_record(*, email: str) -> int:
    """Count one failed login for this email; returns the failures in the current window."""
    count_key, ends_key = _keys(email)
    for _ in range(2):
        # add() only creates the counter when absent, so concurrent first failures share it;
        # incr() is atomic in Redis and never resets the key's expiry.
        if cache.add(count_key, 0, timeout=LOGIN_FAILURE_WINDOW):
            cache.set(ends_key, time.time() + LOGIN_FAILURE_WINDOW, timeout=LOGIN_FAILURE_WINDOW)
        try:
            return cache.incr(count_key)
        except ValueError:
            continue  # the window expired between add() and incr(): open a new one
    return 1


def login_failures_clear(*, email: str) -> None:
    cache.delete_many(list(_keys(email)))
