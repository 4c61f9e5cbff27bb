"""The scenarios `python -m bench` knows, by name."""

from collections.abc import Callable

from bench.environment import BenchEnvironment
from bench.scenarios.base import Options
from bench.scenarios.chat import closed, closed_idle, open_rates, overload
from bench.scenarios.smoke import smoke
from bench.scenarios.soak import soak
from bench.scenarios.sockets import connect, idle, storm

Scenario = Callable[[Options, BenchEnvironment], dict]

SCENARIOS: dict[str, Scenario] = {
    "closed": closed,
    "closed-idle": closed_idle,
    "open": open_rates,
    "connect": connect,
    "idle": idle,
    "storm": storm,
    "overload": overload,
    "smoke": smoke,
    "soak": soak,
}
# `all` runs these in turn (smoke is for CI only; soak takes 10 minutes on its own).
ALL = ["closed", "closed-idle", "open", "connect", "storm", "idle", "overload"]
