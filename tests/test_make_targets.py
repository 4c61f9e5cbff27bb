"""`make createsuperuser` works without a terminal (scripts, CI) when told who to create, and
says what it needs instead of skipping silently."""

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not (PROJECT / ".venv" / "bin" / ".installed").exists(), reason="needs `make venv` first"
)


def make_createsuperuser(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SUPERUSER_")}
    base.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **env)
    return subprocess.run(
        ["make", "--no-print-directory", "createsuperuser"],
        cwd=PROJECT,
        env=base,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_a_terminal_it_creates_the_superuser_from_the_environment(tmp_path):
    result = make_createsuperuser(
        tmp_path,
        DJANGO_SUPERUSER_EMAIL="root@example.com",
        DJANGO_SUPERUSER_NAME="Root",
        DJANGO_SUPERUSER_PASSWORD="a-long-root-passphrase-7",
    )

    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        rows = db.execute("SELECT email, is_superuser FROM accounts_user").fetchall()
    assert rows == [("root@example.com", 1)]


def test_without_a_terminal_or_the_environment_it_fails_and_says_what_to_set(tmp_path):
    result = make_createsuperuser(tmp_path)

    assert result.returncode != 0
    assert "DJANGO_SUPERUSER_EMAIL" in result.stderr
