from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db.models import F

from chat.models import Message
from notifications.models import OfflineNotice
from notifications.sending import offline_emails_send
from tests.helpers.smtp import SmtpServer, smtp_server

DELAY = 300


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    """A real SMTP server on a loopback port, and the project's email pointed at it."""
    with smtp_server() as server:
        settings.EMAIL_ENABLED = True
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = server.host
        settings.EMAIL_PORT = server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = "Expert Support <support@example.com>"
        settings.NOTIFY_OFFLINE_AFTER = DELAY
        settings.NOTIFY_RETRY_DELAYS = (30, 120)
        yield server


def run_job() -> int:
    """Run the worker's job until it finds nothing due; how many rows it handled."""
    handled = 0
    while offline_emails_send():
        handled += 1
    return handled


def time_passes(seconds: float) -> None:
    """As if `seconds` went by: every message and every due time moves that far into the past."""
    ago = timedelta(seconds=seconds)
    Message.objects.update(created_at=F("created_at") - ago)
    OfflineNotice.objects.update(run_after=F("run_after") - ago)
