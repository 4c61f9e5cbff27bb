"""Settings are read once per process, so each case runs Python in a fresh subprocess."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROJECT = Path(settings.BASE_DIR)
PRINT_KEYS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SECRET_KEY); print(s.SIMPLE_JWT['SIGNING_KEY'])"
)

pytestmark = pytest.mark.skipif(
    (PROJECT / ".env").exists(), reason="a local .env would supply the secrets under test"
)


def _python(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "JWT_SECRET", "DEBUG"}}
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT,
        env={**clean, **env},
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_debug_off_a_missing_secret_key_stops_start_up_naming_it():
    result = _python("manage.py", "check", DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_with_debug_off_and_no_secrets_at_all_the_error_names_secret_key():
    result = _python("-c", PRINT_KEYS, DEBUG="false")

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_jwt_secret_falls_back_to_secret_key():
    result = _python("-c", PRINT_KEYS, DEBUG="false", SECRET_KEY="the-app-secret")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["the-app-secret", "the-app-secret"]


def test_jwt_secret_signs_tokens_when_set():
    result = _python(
        "-c", PRINT_KEYS, DEBUG="false", SECRET_KEY="the-app-secret", JWT_SECRET="the-jwt-key"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["the-app-secret", "the-jwt-key"]


def test_with_debug_on_development_secrets_are_used():
    result = _python("-c", PRINT_KEYS, DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert "insecure-development-only" in result.stdout
