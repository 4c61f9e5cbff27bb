"""The REST side of the error vocabulary (core.errors): one DRF exception handler.

Domain errors become the same answers DRF gives for its own exceptions, so a client sees one
shape whichever layer refused it: field errors as a dict of lists (DRF's), everything else as
`{"detail": ..., "code": ...}`; 401 with the view's challenge, 429 with `Retry-After`.
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import AuthenticationFailed, DomainError, InvalidInput, InvalidToken, Throttled


class PayloadTooLarge(drf.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        exc = as_drf_exception(exc, context)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, drf.APIException):
        _add_code(response, exc)
    return response


# DRF's names for what the socket's `error` frames (and core.errors) call otherwise.
_CODE_ALIASES = {"permission_denied": "access_denied", "throttled": "rate_limited"}


def _add_code(response: Response, exc: drf.APIException) -> None:
    """`{"detail": ...}` answers also name their `code`, the same machine-readable names the
    socket's `error` frames use. Field errors keep DRF's shape."""
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else str(exc.default_code)
        data["code"] = _CODE_ALIASES.get(code, code)


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
