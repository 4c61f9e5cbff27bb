"""Every REST answer the tests receive is checked against the OpenAPI schema the API publishes
(SPEC: "every response the test suite receives validates against the schema")."""

import functools
import json
from typing import Any

from django.http import HttpResponse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from rest_framework.test import APIClient


class _AnsweredRequest(DjangoOpenAPIRequest):
    """The request an answer is checked for. Only the answer is validated, so an upload's body
    (streamed to the upload handlers, or refused unread) is not read again."""

    @property
    def body(self) -> bytes:
        if (self.request.content_type or "").startswith("multipart/"):
            return b""
        return super().body


@functools.cache
def published_schema() -> OpenAPI:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return OpenAPI.from_dict(json.loads(OpenApiJsonRenderer().render(schema)))


def check_against_schema(response: HttpResponse) -> None:
    """Fails the test if this answer of a documented operation is not one the schema gives it:
    an undocumented status, or a body that does not match. Answers the schema does not cover
    (pages for browsers, paths or methods that are not operations) are left alone."""
    request = response.wsgi_request  # type: ignore[attr-defined]
    if not request.path.startswith("/api/") or "json" not in response.get("Content-Type", "json"):
        return
    try:
        published_schema().validate_response(
            _AnsweredRequest(request), DjangoOpenAPIResponse(response)
        )
    except (PathNotFound, OperationNotFound):
        return


class SchemaCheckedClient(APIClient):
    """DRF's test client, checking every answer against the published schema."""

    def request(self, **kwargs: Any) -> Any:
        response = super().request(**kwargs)
        check_against_schema(response)
        return response
