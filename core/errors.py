"""The one vocabulary of domain failures, shared by every app.

Services raise these and nothing else; `config.exceptions` turns them into HTTP answers and the
chat consumer into `error` frames, so the REST API and the WebSocket can never disagree about
what went wrong. This package sits below every app and imports none of them.
"""

from collections.abc import Mapping
from typing import ClassVar


class DomainError(Exception):
    """Base class: `code` is the machine-readable name (an `error` frame's `code`), and
    `http_status` the status of the REST answer."""

    code: ClassVar[str] = "invalid_payload"
    http_status: ClassVar[int] = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    """The input breaks a rule. `fields` names the fields at fault the way DRF's field errors do
    (`{"email": ["..."]}`); the REST answer is then that dict, as for a serializer's errors."""

    code = "invalid_payload"
    http_status = 400

    def __init__(self, detail: str = "", *, fields: Mapping[str, list[str]] | None = None) -> None:
        self.fields = {name: list(messages) for name, messages in (fields or {}).items()}
        super().__init__(detail or _summary(self.fields))


def _summary(fields: Mapping[str, list[str]]) -> str:
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())


class AuthenticationFailed(DomainError):
    """The credentials or the token do not identify an active user."""

    code = "authentication_failed"
    http_status = 401


class InvalidToken(AuthenticationFailed):
    """A JWT that is malformed, expired, of the wrong type or revoked."""

    code = "token_not_valid"


class Throttled(DomainError):
    """Too many attempts; `retry_after` is the number of seconds to wait."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class TooLarge(DomainError):
    """The input is over a size limit (an upload over ATTACHMENT_MAX_BYTES)."""

    code = "payload_too_large"
    http_status = 413


class UnsupportedType(DomainError):
    """The input is of a kind that is not accepted (an upload of a type not allowed)."""

    code = "unsupported_media_type"
    http_status = 415


class NotAllowed(DomainError):
    """The caller is known and may see the object, but their role may not do this."""

    code = "access_denied"
    http_status = 403


class NotFound(DomainError):
    """No such object, or not the caller's to see: existence is never leaked."""

    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    """The object's current state forbids the action."""

    code = "conflict"
    http_status = 409


class NotActive(Conflict):
    """The request is not ACTIVE, so its chat is closed."""

    code = "not_active"
