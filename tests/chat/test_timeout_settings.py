"""The timeout settings are parsed strictly at start-up, and `manage.py apply_timeouts` runs the
job once."""

import subprocess
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import ActiveRequestFactory
from tests.helpers.settings_process import run_with_settings

PRINT_TIMEOUTS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.FIRST_RESPONSE_TIMEOUT, s.INACTIVITY_CLOSE_AFTER)"
)


def _settings_with(**env: str) -> subprocess.CompletedProcess:
    return run_with_settings(PRINT_TIMEOUTS, env=env)


def test_timeouts_are_read_as_whole_seconds():
    result = _settings_with(FIRST_RESPONSE_TIMEOUT="300", INACTIVITY_CLOSE_AFTER="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["300", "0"]


@pytest.mark.parametrize(
    ("value", "message"),
    [("-5", "FIRST_RESPONSE_TIMEOUT must be at least 0"), ("5m", "is not a valid int")],
)
def test_a_bad_timeout_stops_start_up_naming_it(value, message):
    result = _settings_with(FIRST_RESPONSE_TIMEOUT=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.django_db
def test_apply_timeouts_runs_the_job_once(settings):
    settings.INACTIVITY_CLOSE_AFTER = 60
    ActiveRequestFactory.create(accepted_at=timezone.now() - timedelta(hours=1))
    out = StringIO()
    call_command("apply_timeouts", stdout=out)
    assert (
        "0 request(s) back in the queue (no first response), 1 closed (inactive)." in out.getvalue()
    )


def test_apply_timeouts_says_when_both_are_off(settings):
    settings.FIRST_RESPONSE_TIMEOUT = settings.INACTIVITY_CLOSE_AFTER = 0
    out = StringIO()
    call_command("apply_timeouts", stdout=out)
    assert "Both timeouts are off" in out.getvalue()
