"""What a fault scenario observed, and the checks the tests make of it.

Each check returns the violations it found, as readable lines (an empty list when the server
behaved), so a failing test says exactly which message, socket or frame went wrong and when.
Times are printed relative to the start of the fault.
"""

import json
import re
from dataclasses import dataclass, field

import pytest

from tests.e2e.faults.database import StoredMessage
from tests.e2e.faults.participant import ANSWER_SECONDS, Attempt, Participant

# SPEC: messages flow again, and everything works, within 5 s of the service's return.
RECOVERY_SECONDS = 5.0
# SPEC: an outage is logged once when it starts and once when it ends: a start and an end line
# for each of the two services, at most.
OUTAGE_LOG_RECORDS_AT_MOST = 4
# Where each scenario's one-line summary goes, for the terminal summary (tests/e2e/conftest.py).
SUMMARIES = pytest.StashKey[list[str]]()
# One log record of the plain format (config/settings.py LOGGING) at WARNING or above.
_LOUD_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (WARNING|ERROR|CRITICAL) ")
LOUD_LEVELS = {"WARNING", "ERROR", "CRITICAL"}


@dataclass(frozen=True)
class Chat:
    """The two participants of one request."""

    user: Participant
    expert: Participant

    @property
    def sides(self) -> tuple[tuple[Participant, Participant], ...]:
        """(participant, the other one), both ways."""
        return ((self.user, self.expert), (self.expert, self.user))


def first_delivery_after(sender: Participant, receiver: Participant, moment: float) -> float | None:
    """When `receiver` first got a message of `sender` acknowledged at or after `moment`."""
    times = [
        receiver.received[message.seq][0]
        for message in sender.acked(since=moment)
        if message.seq is not None and message.seq in receiver.received
    ]
    return min(times, default=None)


def loud_log_records(text: str) -> list[str]:
    """The log records at WARNING or above: lines of the plain format, or JSON objects with such
    a level (LOG_FORMAT=json)."""
    return [line for line in text.splitlines() if _LOUD_RECORD.match(line) or _loud_json(line)]


def _loud_json(line: str) -> bool:
    if not line.startswith("{"):
        return False
    try:
        record = json.loads(line)
    except ValueError:
        return False
    level = record.get("level", record.get("levelname")) if isinstance(record, dict) else None
    return str(level).upper() in LOUD_LEVELS


def presence_not_corrected(
    chats: list[Chat], online: dict[str, bool], *, fault_at: float = 0.0
) -> list[str]:
    """At the end every participant is connected: each must be online in the database, and the
    last presence frame the other participant's socket got about them must say so."""
    problems = []
    for chat in chats:
        for me, other in chat.sides:
            if not online.get(me.user_id):
                problems.append(f"{me.name} is offline in the database")
            connection = other.connection
            told = connection.presence[-1] if connection and connection.presence else None
            if told is None or told[1]["is_online"] is not True:
                problems.append(
                    f"{other.name}'s socket was last told {me.name} is "
                    + ("nothing" if told is None else f"offline ({told[0] - fault_at:+.2f}s)")
                )
    return problems


@dataclass(frozen=True)
class HealthProbe:
    server: str
    path: str
    status: int | None  # None: no answer
    seconds: float


@dataclass
class Outcome:
    scenario: str
    chats: list[Chat]
    # When the fault began, and when the service was back (for a crash or a stop, the moment
    # of the signal: the address never stopped being served by another process).
    fault_at: float
    back_at: float
    # What the database holds at the end, read while every participant is still connected.
    stored: dict[str, list[StoredMessage]]
    online: dict[str, bool]
    # Frames sent while the service was down that need it (joins of a room nobody joined).
    probes: list[Attempt] = field(default_factory=list)
    health: list[HealthProbe] = field(default_factory=list)
    # Each server's WARNING-or-worse log records from the fault to the end of the recovery.
    outage_log: dict[str, list[str]] = field(default_factory=dict)
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def participants(self) -> list[Participant]:
        return [participant for chat in self.chats for participant in (chat.user, chat.expert)]

    def _when(self, moment: float | None) -> str:
        return "never" if moment is None else f"{moment - self.fault_at:+.2f}s"

    def summary(self) -> str:
        """One line of figures for the test run's summary."""
        recovery = self.recovery_seconds()
        flowed = "never" if recovery is None else f"after {recovery:.2f}s"
        reconnects = sum(len(p.connections) - 1 for p in self.participants)
        refused = sum(len(p.connect_failures) for p in self.participants)
        errors = sum(
            1
            for p in self.participants
            for attempt in p.attempts
            if attempt.answer is not None and attempt.answer["type"] == "error"
        )
        return (
            f"fault lasted {self.back_at - self.fault_at:.2f}s, messages flowed again {flowed}; "
            f"{sum(map(len, self.stored.values()))} messages stored, {reconnects} reconnects "
            f"({refused} handshakes failed on the way), {errors} error answers; {self.facts}"
        )

    # --- messages -----------------------------------------------------------------------------

    def acknowledged_but_lost(self) -> list[str]:
        """Acknowledged messages not stored as acknowledged, or that never reached the other
        participant."""
        problems = []
        for chat in self.chats:
            for me, other in chat.sides:
                stored = {m.seq: m for m in self.stored[me.request_id]}
                for message in me.acked():
                    assert message.seq is not None
                    row = stored.get(message.seq)
                    if row is None or (row.client_id, row.sender_id, row.content) != (
                        message.client_id,
                        me.user_id,
                        message.content,
                    ):
                        problems.append(
                            f"{message.client_id} acknowledged as seq {message.seq} "
                            f"({self._when(message.acked_at)}), stored there: {row}"
                        )
                    got = other.received.get(message.seq)
                    if got is None or got[1].get("client_id") != message.client_id:
                        problems.append(
                            f"{message.client_id} (seq {message.seq}, acknowledged "
                            f"{self._when(message.acked_at)}) never reached {other.name}"
                        )
        return problems

    def stored_but_never_acknowledged(self) -> list[str]:
        """Every stored message must come back to its sender (clients retry until it does), and
        the seqs must run 1, 2, 3... with no gap."""
        problems = []
        for chat in self.chats:
            rows = self.stored[chat.user.request_id]
            seqs = [row.seq for row in rows]
            if seqs != list(range(1, len(rows) + 1)):
                problems.append(f"{chat.user.request_id}: stored seqs {seqs}")
            acked = {m.client_id for side in (chat.user, chat.expert) for m in side.acked()}
            problems += [
                f"{row.client_id} stored as seq {row.seq}, never acknowledged"
                for row in rows
                if row.client_id not in acked
            ]
            for side in (chat.user, chat.expert):
                problems += [
                    f"{m.client_id} still unacknowledged at the end"
                    for m in side.messages.values()
                    if m.acked_at is None
                ]
        return problems

    def duplicates_or_gaps(self) -> list[str]:
        """Each socket must receive after_seq + 1, after_seq + 2, ... : each seq once, in order."""
        problems = []
        for participant in self.participants:
            for connection in participant.connections:
                first = connection.after_seq + 1
                expected = list(range(first, first + len(connection.seqs)))
                if connection.seqs != expected:
                    problems.append(
                        f"{participant.name}, socket {connection.number} (after_seq "
                        f"{connection.after_seq}): received seqs {connection.seqs}"
                    )
        return problems

    # --- recovery -----------------------------------------------------------------------------

    def recovery_seconds(self) -> float | None:
        """How long after the service's return every participant again received a message the
        other had sent since (None: some never did)."""
        worst = 0.0
        for chat in self.chats:
            for me, other in chat.sides:
                delivered = first_delivery_after(me, other, self.back_at)
                if delivered is None:
                    return None
                worst = max(worst, delivered - self.back_at)
        return worst

    # --- presence -----------------------------------------------------------------------------

    def shown_offline_while_connected(self) -> list[str]:
        """Presence frames, from the fault on, telling someone that a participant who never
        disconnected was offline. (Before the fault, a participant may rightly have been shown
        offline: the other one joined first.)"""
        problems = []
        for chat in self.chats:
            for me, other in chat.sides:
                if not me.never_disconnected():
                    continue
                for connection in other.connections:
                    problems += [
                        f"{other.name} was told {me.name} went offline at {self._when(at)}"
                        for at, frame in connection.presence
                        if at >= self.fault_at and frame["is_online"] is False
                    ]
        return problems

    def presence_not_corrected(self) -> list[str]:
        return presence_not_corrected(self.chats, self.online, fault_at=self.fault_at)

    # --- during the outage --------------------------------------------------------------------

    def sockets_closed_by_the_server(self) -> list[str]:
        return [
            f"{participant.name}, socket {connection.number}: closed with "
            f"{connection.close_code} at {self._when(connection.closed_at)}"
            for participant in self.participants
            for connection in participant.connections
            if connection.closed_by_server
        ]

    def _attempts_in_outage(self) -> list[tuple[Participant, Attempt]]:
        return [
            (participant, attempt)
            for participant in self.participants
            for attempt in participant.attempts
            if self.fault_at <= attempt.sent_at <= self.back_at
        ]

    def frames_left_unanswered(self) -> list[str]:
        """Frames sent while the service was down (the probes included) that got no answer
        within ANSWER_SECONDS on a socket that stayed open."""
        problems = []
        for participant, attempt in self._attempts_in_outage():
            deadline = attempt.sent_at + ANSWER_SECONDS
            if any(
                c.closed_by_server and c.closed_at is not None and c.closed_at < deadline
                for c in participant.connections
            ):
                continue
            if attempt.answered_at is None or attempt.answered_at > deadline:
                waited = (
                    "no answer"
                    if attempt.answered_at is None
                    else f"answered after {attempt.answered_at - attempt.sent_at:.1f}s"
                )
                problems.append(
                    f"{attempt.frame_type} {attempt.ref} sent at {self._when(attempt.sent_at)}: "
                    f"{waited}"
                )
        return problems

    def probe_answers(self) -> list[dict | None]:
        return [probe.answer for probe in self.probes]

    def errors_in_outage(self) -> list[dict]:
        return [
            attempt.answer
            for _, attempt in self._attempts_in_outage()
            if attempt.answer is not None and attempt.answer["type"] == "error"
        ]

    def loud_outage_logs(self) -> dict[str, list[str]]:
        """Servers that logged the outage more than once at its start and once at its end."""
        return {
            server: records
            for server, records in self.outage_log.items()
            if len(records) > OUTAGE_LOG_RECORDS_AT_MOST
        }
