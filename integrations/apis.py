"""Staff manage webhook endpoints: `admin/webhooks/` and `admin/webhooks/{id}/`."""

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaff
from core.api import valid_data
from core.errors import NotFound
from integrations import services
from integrations.models import WebhookEndpoint
from integrations.serializers import WebhookEndpointCreatedSerializer, WebhookEndpointSerializer


class WebhookListCreateApi(generics.ListAPIView[WebhookEndpoint]):
    """Webhook endpoints, oldest first; POST adds one. Each receives the events it names,
    POSTed as signed JSON (see docs/webhooks.md)."""

    name = "Webhooks"
    permission_classes = (IsStaff,)
    serializer_class = WebhookEndpointSerializer
    queryset = WebhookEndpoint.objects.order_by("created_at", "id")

    @extend_schema(
        request=WebhookEndpointSerializer, responses={201: WebhookEndpointCreatedSerializer}
    )
    def post(self, request: Request) -> Response:
        """Add an endpoint. The answer shows its `secret` (the one given, or a generated one):
        this is the only time it is shown."""
        data = valid_data(WebhookEndpointSerializer, request.data)
        endpoint = services.endpoint_create(**data)
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )


class WebhookDetailApi(APIView):
    name = "Webhook"
    permission_classes = (IsStaff,)
    serializer_class = WebhookEndpointSerializer

    def _endpoint(self, endpoint_id: UUID) -> WebhookEndpoint:
        endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
        if endpoint is None:
            raise NotFound("No such webhook endpoint.")
        return endpoint

    @extend_schema(responses={200: WebhookEndpointSerializer})
    def get(self, request: Request, endpoint_id: UUID) -> Response:
        return Response(WebhookEndpointSerializer(self._endpoint(endpoint_id)).data)

    @extend_schema(request=WebhookEndpointSerializer, responses={200: WebhookEndpointSerializer})
    def put(self, request: Request, endpoint_id: UUID) -> Response:
        """Replace the endpoint's settings (a `secret` given rotates it; none keeps it)."""
        return self._update(request, endpoint_id, partial=False)

    @extend_schema(request=WebhookEndpointSerializer, responses={200: WebhookEndpointSerializer})
    def patch(self, request: Request, endpoint_id: UUID) -> Response:
        """Change some of the endpoint's settings. `is_active: false` pauses it: what was
        recorded for it waits until it is active again; events meanwhile are not recorded."""
        return self._update(request, endpoint_id, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, endpoint_id: UUID) -> Response:
        """Remove the endpoint, with its pending deliveries."""
        self._endpoint(endpoint_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, endpoint_id: UUID, *, partial: bool) -> Response:
        endpoint = self._endpoint(endpoint_id)
        serializer = WebhookEndpointSerializer(endpoint, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes: dict[str, Any] = dict(serializer.validated_data)
        updated = services.endpoint_update(endpoint_id=endpoint.pk, **changes)
        return Response(WebhookEndpointSerializer(updated).data)
