"""EMAIL_URL names the email backend (config.email_url); a URL that cannot be used stops
start-up with a message that says why, and never repeats the password."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.email_url import EmailConfig, email_config
from tests.helpers.settings_process import run_with_settings

SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"


def test_smtp_with_starttls_credentials_and_port():
    config = email_config("smtp://mailer:p%40ss@mail.example.com:587?tls=true", debug=False)

    assert config == EmailConfig(
        enabled=True,
        backend=SMTP,
        host="mail.example.com",
        port=587,
        user="mailer",
        password="p@ss",
        use_tls=True,
    )


@pytest.mark.parametrize(
    ("url", "port", "use_tls", "use_ssl"),
    [
        ("smtp://mail.example.com", 25, False, False),
        ("smtp://mail.example.com?tls=false", 25, False, False),
        ("smtp://mail.example.com?ssl=true", 465, False, True),
        ("smtp+tls://mail.example.com", 587, True, False),
        ("smtps://mail.example.com", 465, False, True),
        ("smtp+ssl://mail.example.com", 465, False, True),
        ("smtps://mail.example.com:2465", 2465, False, True),
    ],
)
def test_smtp_schemes_and_their_tls_modes(url, port, use_tls, use_ssl):
    config = email_config(url, debug=False)

    assert (config.backend, config.port, config.use_tls, config.use_ssl) == (
        SMTP,
        port,
        use_tls,
        use_ssl,
    )


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("console://", CONSOLE),
        ("consolemail://", CONSOLE),
        ("memorymail://", "django.core.mail.backends.locmem.EmailBackend"),
        ("dummymail://", "django.core.mail.backends.dummy.EmailBackend"),
    ],
)
def test_backends_that_need_no_server(url, backend):
    assert email_config(url, debug=False) == EmailConfig(enabled=True, backend=backend)


def test_filemail_writes_into_the_directory_of_its_path():
    config = email_config("filemail:///var/mail/expert-support", debug=False)

    assert config.file_path == "/var/mail/expert-support"


def test_unset_is_the_console_in_debug_and_no_email_otherwise():
    assert email_config("", debug=True) == EmailConfig(enabled=True, backend=CONSOLE)
    assert email_config("  ", debug=False).enabled is False


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://mail.example.com", "the scheme must be one of"),
        ("mail.example.com:25", "the scheme must be one of"),
        ("smtp://", "needs a host"),
        ("smtp://user:secret@mail.example.com:notaport", "Port could not be cast"),
        ("smtp://user:secret@mail.example.com?tls=maybe", "is not a boolean"),
        ("smtp://user:secret@mail.example.com?timeout=5", "unknown option 'timeout'"),
        ("smtp://user:secret@mail.example.com?tls=true&ssl=true", "exclude each other"),
    ],
)
def test_an_unusable_url_is_refused_saying_why_without_the_password(url, reason):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL") as refused:
        email_config(url, debug=False)

    assert reason in str(refused.value)
    assert "secret" not in str(refused.value)


def test_a_bad_email_url_stops_start_up():
    result = run_with_settings("import django; django.setup()", env={"EMAIL_URL": "smtpx://h"})

    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_URL (scheme smtpx) is not usable" in result.stderr
