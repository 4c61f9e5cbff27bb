"""EMAIL_URL: which Django email backend sends the project's emails, as one URL.

django-environ parses the URL's parts (user and password unquoted, host, port). Its own scheme
rules are stricter here on purpose: django-environ reads `smtps://` as STARTTLS, ignores `?tls=`
(it becomes an option no backend reads) and takes `?email_use_tls=false` as true. So:

  smtp://user:pass@host:587?tls=true   STARTTLS (`?ssl=true`: TLS from the first byte)
  smtp+tls://user:pass@host            STARTTLS, port 587 unless given
  smtps://user:pass@host               TLS from the first byte (RFC 8314), port 465 unless given
  smtp+ssl://user:pass@host            the same as smtps://
  console://  (or consolemail://)      printed on the server's standard output
  filemail:///var/mail/expert-support  one file per email in that directory
  memorymail://                        kept in memory (django.core.mail.outbox)
  dummymail://                         accepted and dropped

Anything else (another scheme, an SMTP URL with no host, an unknown or non-boolean option, both
TLS modes) stops start-up with ImproperlyConfigured.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

_SMTP = "django.core.mail.backends.smtp.EmailBackend"
_CONSOLE = "django.core.mail.backends.console.EmailBackend"
# scheme -> (backend, STARTTLS, implicit TLS, default port)
_SCHEMES: dict[str, tuple[str, bool, bool, int | None]] = {
    "smtp": (_SMTP, False, False, 25),
    "smtp+tls": (_SMTP, True, False, 587),
    "smtps": (_SMTP, False, True, 465),
    "smtp+ssl": (_SMTP, False, True, 465),
    "console": (_CONSOLE, False, False, None),
    "consolemail": (_CONSOLE, False, False, None),
    "filemail": ("django.core.mail.backends.filebased.EmailBackend", False, False, None),
    "memorymail": ("django.core.mail.backends.locmem.EmailBackend", False, False, None),
    "dummymail": ("django.core.mail.backends.dummy.EmailBackend", False, False, None),
}
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True)
class EmailConfig:
    enabled: bool  # False: the project sends no email at all
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str | None = None


def email_config(url: str, *, debug: bool) -> EmailConfig:
    """The email settings that `url` (EMAIL_URL) asks for. Unset: the console backend when
    `debug`, no email otherwise."""
    url = url.strip()
    if not url:
        if debug:
            return EmailConfig(enabled=True, backend=_CONSOLE)
        return EmailConfig(enabled=False, backend=_SCHEMES["dummymail"][0])
    scheme = urlsplit(url).scheme.lower()
    if scheme not in _SCHEMES:
        raise _bad(url, f"the scheme must be one of {', '.join(_SCHEMES)}")
    backend, use_tls, use_ssl, default_port = _SCHEMES[scheme]
    try:
        # The backend is given, so django-environ's own scheme rules play no part.
        parts = environ.Env.email_url_config(url, backend=backend)
    except ValueError as exc:  # a port that is not a number, a malformed address
        raise _bad(url, str(exc)) from None
    options = _options(url)
    use_tls = options.get("tls", use_tls)
    use_ssl = options.get("ssl", use_ssl)
    if use_tls and use_ssl:
        raise _bad(url, "tls (STARTTLS) and ssl (TLS from the first byte) exclude each other")
    if backend != _SMTP:
        # The path as written: django-environ drops its leading slash.
        file_path = unquote(urlsplit(url).path) or None
        return EmailConfig(enabled=True, backend=backend, file_path=file_path)
    if not parts["EMAIL_HOST"]:
        raise _bad(url, "an SMTP URL needs a host, as in smtp://user:password@host:587")
    if default_port == 25 and use_tls:
        default_port = 587
    elif default_port == 25 and use_ssl:
        default_port = 465
    port: int = parts["EMAIL_PORT"] or default_port or 25
    return EmailConfig(
        enabled=True,
        backend=backend,
        host=parts["EMAIL_HOST"],
        port=port,
        user=parts["EMAIL_HOST_USER"] or "",
        password=parts["EMAIL_HOST_PASSWORD"] or "",
        use_tls=use_tls,
        use_ssl=use_ssl,
    )


def _options(url: str) -> dict[str, bool]:
    options: dict[str, bool] = {}
    for name, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items():
        if name.lower() not in ("tls", "ssl"):
            raise _bad(url, f"unknown option {name!r} (tls and ssl are known)")
        value = values[-1].strip().lower()
        if value not in _BOOLEANS:
            raise _bad(url, f"{name}={value!r} is not a boolean: use true or false")
        options[name.lower()] = _BOOLEANS[value]
    return options


def _bad(url: str, reason: str) -> ImproperlyConfigured:
    # The URL may hold a password: it is never repeated in the message.
    scheme = urlsplit(url).scheme or "(none)"
    return ImproperlyConfigured(f"EMAIL_URL (scheme {scheme}) is not usable: {reason}.")
