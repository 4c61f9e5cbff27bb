"""Per-email limit on failed logins, kept in the cache so every server process shares it.

Each login attempt is counted *before* the password is checked, and a successful login clears
the count, so what accumulates is failures (plus attempts still in flight). Counting first means
concurrent guesses cannot all slip past the check together: at most LOGIN_FAILURE_LIMIT passwords
are ever tried per email and window. Once over the limit, every login for that email is refused
until the window closes, the right password included. The window opens with the first counted
attempt and lasts LOGIN_FAILURE_WINDOW seconds, so a burst cannot be split across two clock
minutes to double the allowance.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

LOGIN_FAILURE_WINDOW = 60


def _keys(email: str) -> tuple[str, str]:
    # Hashed: raw addresses never end up as cache keys (and their length is bounded).
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"login-attempts:{digest}", f"login-attempts:{digest}:ends-at"


def _count_attempt(count_key: str, ends_key: str) -> int:
    for _ in range(2):
        # add() only creates the counter when absent, so concurrent first attempts share it;
        # incr() is atomic in Redis and never resets the key's expiry.
        if cache.add(count_key, 0, timeout=LOGIN_FAILURE_WINDOW):
            cache.set(ends_key, time.time() + LOGIN_FAILURE_WINDOW, timeout=LOGIN_FAILURE_WINDOW)
        try:
            return cache.incr(count_key)
        except ValueError:
            continue  # the window expired between add() and incr(): open a new one
    return 1


def login_attempt_reserve(*, email: str) -> int | None:
    """Count one login attempt for this email. Returns None when it may go ahead, or the
    seconds to wait when the email is over its limit."""
    count_key, ends_key = _keys(email)
    if _count_attempt(count_key, ends_key) <= settings.LOGIN_FAILURE_LIMIT:
        return None
    ends_at = cache.get(ends_key) or time.time() + LOGIN_FAILURE_WINDOW
    return max(1, int(ends_at - time.time()) + 1)


def login_attempts_clear(*, email: str) -> None:
    """After a successful login the email starts with a clean slate."""
    cache.delete_many(list(_keys(email)))


# --- Per client address --------------------------------------------------------------------
# Failed sign-ins from one address, whatever the emails (password spraying). Counted after the
# check: an office behind one address signs in successfully as often as it likes. The address
# is the connection's (REMOTE_ADDR), which the server takes from the proxy's header only when
# told to trust one (README: deploying behind a proxy).


def _address_keys(address: str) -> tuple[str, str]:
    digest = hashlib.sha256(address.encode()).hexdigest()
    return f"login-failures-from:{digest}", f"login-failures-from:{digest}:ends-at"


def login_address_retry_after(*, address: str) -> int | None:
    """None while this address may try a password, else the seconds until it may again."""
    count_key, ends_key = _address_keys(address)
    limit, _ = settings.LOGIN_IP_RATE
    if (cache.get(count_key) or 0) < limit:
        return None
    ends_at = cache.get(ends_key) or time.time() + 1
    return max(1, int(ends_at - time.time()) + 1)


def login_address_failed(*, address: str) -> None:
    count_key, ends_key = _address_keys(address)
    _, window = settings.LOGIN_IP_RATE
    if cache.add(count_key, 0, timeout=window):
        cache.set(ends_key, time.time() + window, timeout=window)
    try:
        cache.incr(count_key)
    except ValueError:  # the window closed between add() and incr()
        login_address_failed(address=address)
