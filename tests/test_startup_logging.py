"""Start-up says what matters once per server process, and nothing to every command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
IN_MEMORY_WARNING = "REDIS_URL is not set"

pytestmark = pytest.mark.skipif(
    (PROJECT / ".env").exists(), reason="a local .env would change what start-up reads"
)


def run(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true")
    result = subprocess.run(
        [sys.executable, *args], cwd=PROJECT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout + result.stderr


def test_management_commands_say_nothing_about_the_channel_layer_or_a_missing_env_file():
    output = run("manage.py", "check")

    assert IN_MEMORY_WARNING not in output
    assert ".env" not in output


def test_the_server_warns_once_that_the_in_memory_layer_serves_one_process():
    output = run("-c", "import config.asgi")

    assert output.count(IN_MEMORY_WARNING) == 1
