"""Chat history and posting over REST: the same rules and the same service as the WebSocket."""

from uuid import UUID

from drf_spectacular.utils import OpenApiResponse, extend_schema
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
    ReadMarkSerializer,
    ReadPositionSerializer,
)
from chat.services import message_post, message_read
from core.api import error_answer, valid_data
from support.selectors import request_get_visible


class RequestMessagesApi(APIView):
    name = "Messages"

    @extend_schema(
        parameters=[MessageHistoryQuerySerializer], responses={200: MessageHistorySerializer}
    )
    def get(self, request: Request, request_id: UUID) -> Response:
        """History by seq, ascending. `after`/`before` bound the seq range; `limit` <= 200."""
        bounds = valid_data(MessageHistoryQuerySerializer, request.query_params)
        request_get_visible(request_id=request_id, user=signed_in_user(request))
        page = message_history(
            request_id=request_id,
            after=bounds.get("after"),
            before=bounds.get("before"),
            limit=bounds["limit"],
        )
        return Response(MessageHistorySerializer(page).data)

    @extend_schema(
        request=MessageCreateSerializer,
        responses={
            201: MessageSerializer,
            200: OpenApiResponse(
                MessageSerializer,
                description="This sender already posted this client_id here: the original "
                "message, nothing stored.",
            ),
            403: error_answer("Only the requester and the assigned expert take part in a chat."),
            409: error_answer("The request is not active (code not_active)."),
        },
    )
    def post(self, request: Request, request_id: UUID) -> Response:
        """Post a message (participants only). A repeated client_id answers 200 with the
        original message and stores nothing. `attachment_ids` attaches uploads of the caller
        into this request (at most 5, each once, none already carried by a message: 400
        otherwise, and nothing is stored); `content` may then be empty."""
        data = valid_data(MessageCreateSerializer, request.data)
        message, created = message_post(
            request_id=request_id, sender=signed_in_user(request), **data
        )
        return Response(
            MessageSerializer(message).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class RequestReadApi(APIView):
    name = "Read mark"

    @extend_schema(
        request=ReadMarkSerializer,
        responses={
            200: ReadPositionSerializer,
            403: error_answer("Only the requester and the assigned expert have a read position."),
        },
    )
    def post(self, request: Request, request_id: UUID) -> Response:
        """Mark the request read up to `seq` (participants only, in any status). The position
        becomes max(old, min(seq, last_seq)); when it moves, the room's sockets get `read`."""
        data = valid_data(ReadMarkSerializer, request.data)
        position = message_read(request_id=request_id, user=signed_in_user(request), **data)
        return Response(
            ReadPositionSerializer({"request_id": request_id, "seq": position.seq}).data
        )
