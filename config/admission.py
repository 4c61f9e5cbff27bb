"""How long a client refused in a connect storm is told to wait (Retry-After).

A fixed Retry-After sends a whole wave of refused clients back together a second later, where
most are refused again: the storm repeats until it has worn itself down, and every refusal
costs the server a connection, a request to parse and an answer. Instead each refused client is
told a different time, drawn evenly between the configured minimum and how long this process
needs to admit everyone it refused lately: the wave comes back spread out, at about the rate
the process can take it.

That rate is what the process can do, not what it did: it works on up to `bound` handshakes at
once (WS_MAX_PENDING_HANDSHAKES), each taking about the recent average time, so it completes
about bound / average handshakes a second while it is kept busy.
"""

import math
import random
import time
from collections import deque

# Refusals are counted over this many seconds.
WINDOW_SECONDS = 2.0
# The longest wait advised, whatever the backlog.
LONGEST_SECONDS = 10
# A handshake's duration, before any was measured; and how fast the average follows new ones.
FIRST_GUESS_SECONDS = 0.2
SMOOTHING = 0.05


class RetryAdvice:
    def __init__(self, *, shortest: int, bound: int, longest: int = LONGEST_SECONDS) -> None:
        self.shortest = shortest
        self.bound = bound
        self.longest = max(longest, shortest)
        self.handshake_seconds = FIRST_GUESS_SECONDS
        self._refused: deque[float] = deque()

    def handshake_completed(self, seconds: float) -> None:
        """A handshake was admitted `seconds` before it was accepted."""
        self.handshake_seconds += SMOOTHING * (seconds - self.handshake_seconds)

    def refused(self, now: float | None = None) -> int:
        """Record a refusal; the Retry-After (whole seconds) to tell that client."""
        now = time.monotonic() if now is None else now
        self._refused.append(now)
        while self._refused[0] < now - WINDOW_SECONDS:
            self._refused.popleft()
        rate = self.bound / max(self.handshake_seconds, 1e-3)
        drain = math.ceil(len(self._refused) / rate)
        return random.randint(self.shortest, min(max(drain, self.shortest), self.longest))
