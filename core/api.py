"""The REST shapes of the error vocabulary, and the input helper every view uses.

Error answers are `{"detail", "code"}` (config.exceptions adds the code) or DRF's field errors.
In the OpenAPI schema `ErrorSerializer` describes the first (config.schema the second), the
answers every operation can give are added by config.schema, and views add their own with
`error_answer`.
"""

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Why the request was refused. `code` is machine-readable: the same names as the `code` of
    the WebSocket's `error` frames where they overlap (access_denied, not_found, not_active,
    rate_limited ...)."""

    detail = serializers.CharField()
    code = serializers.CharField()


def error_answer(description: str) -> OpenApiResponse:
    """An error answer of one operation, for its `@extend_schema(responses=...)`."""
    return OpenApiResponse(response=ErrorSerializer, description=description)


def valid_data(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The validated input, or a 400 with the field errors."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
