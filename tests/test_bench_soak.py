"""The soak scenario's memory trend (the 10-minute run itself is not part of the suite)."""

import pytest

from bench.cli import parse_args
from bench.scenarios.soak import rss_slope_mb_per_min


def _readings(*rss_mb: float, every_s: float = 60.0) -> list[dict]:
    return [
        {"elapsed_s": index * every_s, "server_rss_mb": value} for index, value in enumerate(rss_mb)
    ]


def test_slope_is_the_growth_per_minute_after_the_first_reading():
    # The first minute's jump is the server warming up; after it, 0.5 MB a minute.
    readings = _readings(200.0, 230.0, 230.5, 231.0, 231.5)

    assert rss_slope_mb_per_min(readings) == pytest.approx(0.5)


def test_slope_of_flat_memory_is_zero_whatever_the_reading_interval():
    assert rss_slope_mb_per_min(_readings(210.0, 212.0, 212.0, 212.0, every_s=3.0)) == 0


def test_no_slope_from_fewer_than_two_readings_after_the_first():
    assert rss_slope_mb_per_min(_readings(200.0, 201.0)) is None


def test_soak_is_a_scenario_of_its_own_with_the_usual_options():
    args = parse_args(["soak", "--duration", "60", "--rate", "40", "--pairs", "10"])

    assert (args.scenario, args.duration, args.rate, args.pairs) == ("soak", 60.0, 40.0, 10)
