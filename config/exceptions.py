"""The REST side of the error vocabulary (core.errors): one DRF exception handler.

Domain errors become the same answers DRF gives for its own exceptions, so a client sees one
shape whichever layer refused it: field errors as a dict of lists, everything else as
`{"detail": ...}`, 401 with the view's challenge, 429 with `Retry-After`.
"""

from typing import Any

from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import AuthenticationFailed, DomainError, InvalidInput, InvalidToken, Throttled


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        exc = as_drf_exception(exc, context)
    return exception_handler(exc, context)


def as_drf_exception(exc: DomainError, context: dict[str, Any]) -> drf.APIException:
    if isinstance(exc, InvalidInput) and exc.fields:
        return drf.ValidationError(exc.fields)
    if isinstance(exc, Throttled):
        return drf.Throttled(wait=exc.retry_after, detail=exc.detail)
    if isinstance(exc, AuthenticationFailed):
        return _authentication_failed(exc, context)
    error = drf.APIException(detail=exc.detail, code=exc.code)
    error.status_code = exc.http_status
    return error


def _authentication_failed(exc: AuthenticationFailed, context: dict[str, Any]) -> drf.APIException:
    # Token errors carry their code in the body, as simplejwt's own answers do.
    detail: Any = (
        {"detail": exc.detail, "code": exc.code} if isinstance(exc, InvalidToken) else exc.detail
    )
    error = drf.AuthenticationFailed(detail=detail, code=exc.code)
    # What DRF's APIView does for its own authentication errors, before any handler runs: a 401
    # carries the view's challenge, and a view without one answers 403.
    view, request = context.get("view"), context.get("request")
    challenge = view.get_authenticate_header(request) if view is not None else None
    if challenge:
        error.auth_header = challenge  # type: ignore[attr-defined]
    else:
        error.status_code = 403
    return error
