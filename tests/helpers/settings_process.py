"""Python run in a fresh interpreter with the project's settings and some environment: what
start-up does with a variable can only be seen in a process that has not started yet."""

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def run_with_settings(
    script: str, *, env: dict[str, str] | None = None, dropped: Iterable[str] = ()
) -> subprocess.CompletedProcess:
    """Run `script` under config.settings with this process's environment, less the variables
    starting with any of `dropped`, plus `env`."""
    prefixes = tuple(dropped)
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not (prefixes and name.startswith(prefixes))
    }
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "config.settings", **(env or {})},
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
