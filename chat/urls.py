from django.urls import path

from chat.apis import RequestMessagesApi, RequestReadApi
from chat.attachments.apis import AttachmentDownloadApi, RequestAttachmentsApi

urlpatterns = [
    path(
        "requests/<uuid:request_id>/messages/",
        RequestMessagesApi.as_view(),
        name="request-messages",
    ),
    path("requests/<uuid:request_id>/read/", RequestReadApi.as_view(), name="request-read"),
    path(
        "requests/<uuid:request_id>/attachments/",
        RequestAttachmentsApi.as_view(),
        name="request-attachments",
    ),
    path(
        "attachments/<uuid:attachment_id>/download/",
        AttachmentDownloadApi.as_view(),
        name="attachment-download",
    ),
]
