"""Retry-After in a connect storm: spread over the time the process needs to admit the clients
it refused (its bound of handshakes at once, each taking the recent average); the configured
minimum when there is no wave."""

from config.admission import LONGEST_SECONDS, WINDOW_SECONDS, RetryAdvice


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
