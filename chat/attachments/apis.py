"""Uploading and downloading attachments over REST."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import signed_in_user
from chat.attachments.selectors import attachment_get_downloadable
from chat.attachments.services import attachment_upload
from chat.attachments.storage import download_response
from chat.attachments.uploads import upload_handlers
from chat.selectors import active_request_for_participant
from chat.serializers import AttachmentUploadSerializer, UploadedAttachmentSerializer
from core.api import error_answer, valid_data


class RequestAttachmentsApi(APIView):
    name = "Attachments"
    parser_classes = (MultiPartParser,)

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body: the size limit is enforced while it is parsed.
        request.upload_handlers = upload_handlers(request)
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: UploadedAttachmentSerializer,
            403: error_answer("Only the requester and the assigned expert upload into a chat."),
            409: error_answer("The request is not active (code not_active)."),
            413: error_answer(
                "The file is over ATTACHMENT_MAX_BYTES (code payload_too_large); nothing stored."
            ),
            415: error_answer(
                "The file's type, detected from its bytes, is not in ATTACHMENT_TYPES (code "
                "unsupported_media_type), or the body is not multipart/form-data; nothing "
                "stored."
            ),
        },
    )
    def post(self, request: Request, request_id: UUID) -> Response:
        """Upload a file (multipart/form-data, field `file`) into a chat, for a message to
        carry in `attachment_ids`. Participants of an ACTIVE request only. Uploads no message
        carries are deleted after 24 hours."""
        user = signed_in_user(request)
        # Outsiders and closed chats are refused before the body is read at all.
        active_request_for_participant(request_id=request_id, user=user)
        data = valid_data(AttachmentUploadSerializer, request.data)
        attachment = attachment_upload(request_id=request_id, uploader=user, file=data["file"])
        return Response(
            UploadedAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED
        )


class AttachmentDownloadApi(APIView):
    name = "Attachment download"

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The answer is the file, whatever the client accepts; errors are JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, as an attachment (Content-Disposition) of its detected "
                "type, with X-Content-Type-Options: nosniff.",
            ),
            302: OpenApiResponse(
                description="With remote storage (S3...): a redirect to a short-lived signed "
                "URL of the file."
            ),
        },
    )
    def get(self, request: Request, attachment_id: UUID) -> HttpResponseBase:
        """Download an attachment: participants of its request and staff; 404 for anyone
        else."""
        attachment = attachment_get_downloadable(
            attachment_id=attachment_id, user=signed_in_user(request)
        )
        return download_response(attachment)
