"""Chat history and posting over REST: the same rules and the same service as the WebSocket."""

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import signed_in_user
from chat.selectors import message_history
from chat.serializers import (
    MessageCreateSerializer,
    MessageHistoryQuerySerializer,
    MessageHistorySerializer,
    MessageSerializer,
)
from chat.services import message_post
from support.selectors import request_get_visible


class RequestMessagesApi(APIView):
    @extend_schema(parameters=[MessageHistoryQuerySerializer], responses=MessageHistorySerializer)
    def get(self, request: Request, request_id: UUID) -> Response:
        """History by seq, ascending. `after`/`before` bound the seq range; `limit` <= 200."""
        query = MessageHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        request_get_visible(request_id=request_id, user=signed_in_user(request))
        bounds = query.validated_data
        page = message_history(
            request_id=request_id,
            after=bounds.get("after"),
            before=bounds.get("before"),
            limit=bounds["limit"],
        )
        return Response(MessageHistorySerializer(page).data)

    @extend_schema(request=MessageCreateSerializer, responses={201: MessageSerializer})
    def post(self, request: Request, request_id: UUID) -> Response:
        """Post a message (participants only). A repeated client_id answers 200 with the
        original message and stores nothing."""
        body = MessageCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message, created = message_post(
            request_id=request_id, sender=signed_in_user(request), **body.validated_data
        )
        return Response(
            MessageSerializer(message).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
