"""The WebSocket protocol's AsyncAPI document over HTTP, as JSON and YAML. Public, like the
OpenAPI schema: a client developer reads it before having an account."""

from typing import Any

import yaml
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.protocol.asyncapi import asyncapi_document


class _AsyncApiDocument(APIView):
    # Anonymous: a token sent out of habit is not even read, so a stale one cannot turn the
    # document into a 401.
    authentication_classes = []
    permission_classes = [AllowAny]
    # Errors (405 for a POST) are JSON like everywhere under /api/.
    renderer_classes = [JSONRenderer]

    def document(self, request: Request) -> dict[str, Any]:
        """The document, naming the host and scheme it was asked for on as its server."""
        return asyncapi_document(host=request.get_host(), secure=request.is_secure())


class AsyncApiJsonApi(_AsyncApiDocument):
    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response(self.document(request))


class AsyncApiYamlApi(_AsyncApiDocument):
    @extend_schema(exclude=True)
    def get(self, request: Request) -> HttpResponse:
        text = yaml.safe_dump(self.document(request), sort_keys=False, allow_unicode=True)
        return HttpResponse(text, content_type="application/yaml; charset=utf-8")
