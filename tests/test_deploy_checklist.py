"""The README's production checklist passes Django's deployment checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

# The README's "Deploying" checklist, as environment variables.
PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "support.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
}


def check_deploy(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG"))}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY=secrets.token_urlsafe(50))
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_documented_production_settings_pass_the_deployment_checks():
    result = check_deploy(**PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr


def test_without_them_the_checks_say_what_is_missing():
    result = check_deploy(DEBUG="false", ALLOWED_HOSTS="support.example.com")

    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # HSTS
    assert "security.W008" in result.stderr + result.stdout  # SSL redirect
