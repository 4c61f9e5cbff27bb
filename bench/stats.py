"""What one measured phase saw, and how it compares with what the database stored."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


@dataclass
class Phase:
    """Counters for one measured stretch of a scenario (one rate step, one loop...)."""

    name: str
    started: float = field(default_factory=time.perf_counter)
    sending_ended: float | None = None
    last_receipt: float | None = None
    sent: int = 0
    acked: int = 0
    received: int = 0
    latencies: list[float] = field(default_factory=list)
    # Send -> the sender's own ack, to compare the other participant's latency with.
    ack_latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    send_lag_max: float = 0.0
    extra: dict = field(default_factory=dict)

    def record_receipt(self, *, latency: float, now: float) -> None:
        self.received += 1
        self.latencies.append(latency)
        self.last_receipt = now

    def record_ack(self, *, latency: float) -> None:
        self.acked += 1
        self.ack_latencies.append(latency)

    @property
    def ended(self) -> float | None:
        return self.last_receipt or self.sending_ended

    def result(self) -> dict:
        latencies = sorted(self.latencies)
        ack_latencies = sorted(self.ack_latencies)
        end = self.last_receipt or self.sending_ended or time.perf_counter()
        elapsed = max(end - self.started, 1e-9)

        def ms(value: float | None) -> float | None:
            return None if value is None else round(value * 1000, 2)

        return {
            "phase": self.name,
            "duration_s": round(elapsed, 2),
            "sent": self.sent,
            "acked": self.acked,
            "received": self.received,
            "delivered_per_s": round(self.received / elapsed, 1) if self.received else 0.0,
            "latency_ms": {
                "p50": ms(percentile(latencies, 0.50)),
                "p95": ms(percentile(latencies, 0.95)),
                "p99": ms(percentile(latencies, 0.99)),
                "max": ms(latencies[-1] if latencies else None),
            },
            "ack_latency_ms": {
                "p50": ms(percentile(ack_latencies, 0.50)),
                "p95": ms(percentile(ack_latencies, 0.95)),
                "p99": ms(percentile(ack_latencies, 0.99)),
                "max": ms(ack_latencies[-1] if ack_latencies else None),
            },
            "errors": dict(self.errors),
            "client_send_lag_max_ms": ms(self.send_lag_max),
            **self.extra,
        }


@dataclass
class Integrity:
    """Exactly-once, in-order delivery and stored-before-acknowledged, summed over all rooms."""

    duplicates: int = 0
    order_violations: int = 0
    lost: int = 0  # acknowledged to the sender, never received by the other party
    # When the run was cut off with a backlog still draining, acked-but-not-yet-received
    # messages are counted here instead: they may still have been on their way.
    cut_off: bool = False
    undelivered_at_cut_off: int = 0
    unacked: int = 0  # sent, no acknowledgement nor error by the end
    stored: int = 0
    acked_not_stored: int = 0
    stored_twice: int = 0
    stored_not_acked: int = 0
    unexpected_closes: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.duplicates
            or self.order_violations
            or self.lost
            or self.acked_not_stored
            or self.stored_twice
            or self.unexpected_closes
        )

    def as_dict(self) -> dict:
        return {**self.__dict__, "ok": self.ok}
