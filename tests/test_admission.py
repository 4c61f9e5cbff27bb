"""Admission in a connect storm: past the bound, handshakes wait their turn in order for up to
the allowance, and are refused (503) when it is over, when the queue is far beyond what the
process gets through, or at shutdown. Retry-After is spread over the time the process needs to
admit those waiting and those it refused (its bound of handshakes at once, each taking the
recent average); the configured minimum when there is no wave."""

from config.admission import LONGEST_SECONDS, WINDOW_SECONDS, Admission, RetryAdvice, Verdict


def busy_process() -> RetryAdvice:
    """64 handshakes at once, each taking 1.28 s lately: 50 completed a second."""
    advice = RetryAdvice(shortest=1, bound=64)
    for _ in range(500):
        advice.handshake_completed(1.28)
    return advice


def test_a_lone_refusal_is_told_the_minimum():
    advice = RetryAdvice(shortest=2, bound=64)
    assert advice.refused(now=100.0) == 2


def test_a_wave_is_spread_over_the_time_it_takes_to_admit_it():
    advice = busy_process()
    for _ in range(250):  # 250 refused at once: 5 s of work at that rate
        advice.refused(now=102.0)
    waits = [advice.refused(now=102.0) for _ in range(150)]  # and 150 more: up to 8 s

    assert min(waits) == 1
    assert 7 <= max(waits) <= 8
    # Evenly: no second gets much more than its share of the wave back.
    assert all(waits.count(second) <= 45 for second in range(1, 9))


def test_never_longer_than_the_ceiling():
    advice = busy_process()
    waits = [advice.refused(now=100.0) for _ in range(5000)]
    assert max(waits) == LONGEST_SECONDS


def test_an_old_wave_no_longer_counts():
    advice = busy_process()
    for _ in range(1000):
        advice.refused(now=100.0)
    assert advice.refused(now=100.0 + WINDOW_SECONDS + 0.1) == 1


class Client:
    """A handshake as config.admission sees it: started, or turned away after waiting."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def start(self) -> None:
        self.log.append(f"start {self.name}")

    def turn_away(self) -> None:
        self.log.append(f"503 {self.name}")


def admission(*, bound: int = 2, queue_seconds: float = 3.0) -> Admission:
    return Admission(
        bound=bound, queue_seconds=queue_seconds, advice=RetryAdvice(shortest=1, bound=bound)
    )


def test_past_the_bound_handshakes_wait_their_turn_in_order():
    gate, log = admission(bound=2), list[str]()
    clients = [Client(str(number), log) for number in range(5)]

    verdicts = [gate.arrive(client, now=10.0) for client in clients]
    gate.finished(started=True, handshake=clients[0])
    gate.finished(started=True, handshake=clients[1])
    gate.finished(started=True, handshake=clients[2])

    assert verdicts == [Verdict.STARTED] * 2 + [Verdict.QUEUED] * 3
    assert log == ["start 2", "start 3", "start 4"]
    assert gate.in_progress == 2
    assert not gate.waiting


def test_a_client_that_hangs_up_while_waiting_gives_up_its_place():
    gate, log = admission(bound=1), list[str]()
    first, quitter, patient = (Client(name, log) for name in ("first", "quitter", "patient"))
    for client in (first, quitter, patient):
        gate.arrive(client, now=10.0)

    gate.finished(started=False, handshake=quitter)
    gate.finished(started=True, handshake=first)

    assert log == ["start patient"]


def test_those_still_waiting_when_their_allowance_is_over_are_refused():
    gate, log = admission(bound=1, queue_seconds=3.0), list[str]()
    late = Client("late", log)
    gate.arrive(Client("running", log), now=10.0)
    gate.arrive(Client("early", log), now=10.0)
    gate.arrive(late, now=12.0)

    gate.sweep(now=12.9)
    assert log == []
    gate.sweep(now=13.1)

    assert log == ["503 early"]
    assert list(gate.waiting) == [late]


def test_a_queue_far_beyond_what_the_process_gets_through_refuses_at_once():
    # At the first guess, 2 at once taking 0.2 s each is 10 a second: 30 in 3 s, 4x that waits.
    gate, log = admission(bound=2, queue_seconds=3.0), list[str]()
    verdicts = [gate.arrive(Client(str(number), log), now=10.0) for number in range(200)]

    assert verdicts.count(Verdict.STARTED) == 2
    assert verdicts.count(Verdict.QUEUED) == 4 * 30
    assert verdicts[-1] is Verdict.REFUSED
    # Those refused are told to come back after those waiting have had their turn: 120 at 10 a
    # second is 12 s, but none waits longer than the 3 s allowance.
    waits = [gate.retry_after(now=10.0) for _ in range(200)]
    assert min(waits) == 3
    assert max(waits) == LONGEST_SECONDS


def test_without_a_queue_past_the_bound_is_refused_at_once():
    gate, log = admission(bound=1, queue_seconds=0), list[str]()
    assert gate.arrive(Client("a", log)) is Verdict.STARTED
    assert gate.arrive(Client("b", log)) is Verdict.REFUSED


def test_at_shutdown_nobody_waiting_is_started():
    gate, log = admission(bound=1), list[str]()
    for name in ("running", "a", "b"):
        gate.arrive(Client(name, log), now=10.0)

    gate.turn_away_all()

    assert log == ["503 a", "503 b"]
    assert not gate.waiting


def test_only_handshakes_at_the_bound_tell_the_rate():
    gate, log = admission(bound=2), list[str]()
    gate.arrive(Client("a", log))
    assert not gate.at_bound()
    gate.arrive(Client("b", log))
    assert gate.at_bound()
