"""Admission of WebSocket handshakes in a connect storm: how many run at once, which wait their
turn, and how long a refused client is told to wait (Retry-After).

A process works on up to `bound` handshakes at once (WS_MAX_PENDING_HANDSHAKES). One that
arrives past the bound waits its turn, first come first served, for up to
WS_HANDSHAKE_QUEUE_SECONDS; one still waiting then is refused with 503 and Retry-After, and so
is one that arrives to a queue already far longer than the process can get through in that
time. A refusal costs both sides a connection, a request to parse and an answer, and the client
a wait it has to guess, during which the process may sit idle: waiting in the queue instead
keeps the process busy until the storm is through, and every handshake is still answered
(accepted or refused) within a few seconds.

Whether a waiting handshake will be reached in time is not guessed from the rate when it
arrives: while a storm is still arriving, every arrival is parsed before it can be queued, so
the handshakes in progress run slower than they will once it is in, and a rate measured then
would refuse clients that would have been admitted a moment later.

A fixed Retry-After sends a whole wave of refused clients back together a second later, where
most are refused again: the storm repeats until it has worn itself down. Instead each refused
client is told a different time, drawn evenly between when those queued will have had their
turn (at least the configured minimum; at most the queue allowance, since none waits longer) and
how long this process needs to admit everyone waiting and everyone it refused lately: the wave
comes back spread out, at about the rate the process can take it.

That rate is what the process can do, not what it did: it works on up to `bound` handshakes at
once, each taking about the recent average time while the process is kept busy, so it completes
about bound / average handshakes a second. Only handshakes started while the process was at its
bound count towards that average: one started alone is quick, but says nothing about how many
the process can finish at once.
"""

import math
import random
import time
from collections import deque
from enum import Enum
from typing import Protocol

# Refusals are counted over this many seconds.
WINDOW_SECONDS = 2.0
# The longest wait advised, whatever the backlog.
LONGEST_SECONDS = 10
# A handshake's duration at the bound, before any was measured; and how fast the average
# follows new ones.
FIRST_GUESS_SECONDS = 0.2
SMOOTHING = 0.05
# Handshakes waiting at most: this many times what the process seems to admit in the allowance.
WAITING_CAP_FACTOR = 4


class RetryAdvice:
    def __init__(self, *, shortest: int, bound: int, longest: int = LONGEST_SECONDS) -> None:
        self.shortest = shortest
        self.bound = bound
        self.longest = max(longest, shortest)
        self.handshake_seconds = FIRST_GUESS_SECONDS
        self._refused: deque[float] = deque()

    def handshake_completed(self, seconds: float) -> None:
        """A handshake started at the bound was accepted `seconds` after it started."""
        self.handshake_seconds += SMOOTHING * (seconds - self.handshake_seconds)

    def rate(self) -> float:
        """Handshakes a second the process completes while it is kept busy."""
        return self.bound / max(self.handshake_seconds, 1e-3)

    def refused(
        self, now: float | None = None, *, waiting: int = 0, waited_at_most: float = 0.0
    ) -> int:
        """Record a refusal; the Retry-After (whole seconds) to tell that client, with `waiting`
        handshakes queued ahead of everyone refused, none of which waits longer than
        `waited_at_most` seconds to be started or refused."""
        now = time.monotonic() if now is None else now
        self._refused.append(now)
        while self._refused[0] < now - WINDOW_SECONDS:
            self._refused.popleft()
        # Not before those queued have had their turn: coming back sooner, the client finds the
        # queue as full as it left it.
        rate = self.rate()
        queue_through = math.ceil(min(waiting / rate, waited_at_most))
        earliest = min(max(queue_through, self.shortest), self.longest)
        drain = math.ceil((waiting + len(self._refused)) / rate)
        return random.randint(earliest, min(max(drain, earliest), self.longest))


class Handshake(Protocol):
    """A handshake that waited its turn: started, or turned away with 503 after all."""

    def start(self) -> None: ...

    def turn_away(self) -> None: ...


class Verdict(Enum):
    STARTED = "started"
    QUEUED = "queued"
    REFUSED = "refused"


class Admission:
    """The handshakes of one process: those in progress (at most `bound`) and those waiting for
    a place, oldest first. Runs on the event loop's thread only; `sweep` must be called while
    any are waiting."""

    def __init__(self, *, bound: int, queue_seconds: float, advice: RetryAdvice) -> None:
        self.bound = bound
        self.queue_seconds = queue_seconds
        self.advice = advice
        self.in_progress = 0
        # Insertion-ordered: the oldest first, and a client that hangs up leaves in O(1).
        self.waiting: dict[Handshake, float] = {}

    def arrive(self, handshake: Handshake, now: float | None = None) -> Verdict:
        """Start the handshake now, queue it, or refuse it (then tell it `retry_after()`)."""
        if self.in_progress < self.bound and not self.waiting:
            self.in_progress += 1
            return Verdict.STARTED
        if self.queue_seconds > 0 and len(self.waiting) < self._waiting_cap():
            self.waiting[handshake] = time.monotonic() if now is None else now
            return Verdict.QUEUED
        return Verdict.REFUSED

    def _waiting_cap(self) -> int:
        # Several times what the process seems to get through in the allowance (see the module's
        # note on that estimate); beyond it a storm is refused at once, not after a wait.
        queue_length = self.advice.rate() * self.queue_seconds
        return max(self.bound, round(WAITING_CAP_FACTOR * queue_length))

    def at_bound(self) -> bool:
        """Whether a handshake starting now shares the process with a full bound of others (the
        ones whose duration tells the rate)."""
        return self.in_progress >= self.bound

    def retry_after(self, now: float | None = None) -> int:
        return self.advice.refused(
            now, waiting=len(self.waiting), waited_at_most=self.queue_seconds
        )

    def finished(self, *, started: bool, handshake: Handshake) -> None:
        """The handshake was answered or its client hung up: its place goes to the next."""
        if started:
            self.in_progress -= 1
        else:
            self.waiting.pop(handshake, None)
        while self.waiting and self.in_progress < self.bound:
            oldest = next(iter(self.waiting))
            del self.waiting[oldest]
            self.in_progress += 1
            oldest.start()

    def sweep(self, now: float | None = None) -> None:
        """Refuse those that waited the whole allowance: the process did not get to them in
        time (a storm beyond what it can admit in that time), and every handshake must be
        answered promptly."""
        deadline = (time.monotonic() if now is None else now) - self.queue_seconds
        while self.waiting:
            oldest, since = next(iter(self.waiting.items()))
            if since > deadline:
                return
            del self.waiting[oldest]
            oldest.turn_away()

    def turn_away_all(self) -> None:
        """The process is shutting down: nobody waiting will be started."""
        waiting, self.waiting = list(self.waiting), {}
        for handshake in waiting:
            handshake.turn_away()
