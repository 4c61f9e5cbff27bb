"""Domain errors shared by the REST API and the WebSocket consumer.

Services raise these; `api_exception_handler` turns them into HTTP responses and the chat consumer
turns them into `error` frames, so both paths always agree on what went wrong.
"""

from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.views import exception_handler


class DomainError(Exception):
    """Base class: `code` is the machine-readable name used in `error` frames."""

    code = "invalid_payload"
    http_status = status.HTTP_400_BAD_REQUEST

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    code = "invalid_payload"
    http_status = status.HTTP_400_BAD_REQUEST


class NotAllowed(DomainError):
    """The caller is known and may see the object, but their role may not do this."""

    code = "access_denied"
    http_status = status.HTTP_403_FORBIDDEN


class NotFound(DomainError):
    """No such object, or not the caller's to see: existence is never leaked."""

    code = "not_found"
    http_status = status.HTTP_404_NOT_FOUND


class Conflict(DomainError):
    """The object's current state forbids the action."""

    code = "conflict"
    http_status = status.HTTP_409_CONFLICT


class NotActive(Conflict):
    """The request is not ACTIVE, so its chat is closed."""

    code = "not_active"


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        exc = _as_drf_exception(exc)
    return exception_handler(exc, context)


def _as_drf_exception(exc: DomainError) -> drf_exceptions.APIException:
    error = drf_exceptions.APIException(detail=exc.detail, code=exc.code)
    error.status_code = exc.http_status
    return error
