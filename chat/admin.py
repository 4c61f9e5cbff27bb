from typing import Any

from django.contrib import admin
from django.db.models import F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from chat.models import Attachment, Message
from chat.serializers import attachment_url
from core.pages import LargeTableAdmin
from support.admin import ReadOnlyInline, SupportRequestAdmin
from support.models import SupportRequest

# A request's page shows the end of its conversation; the whole of it is paged over the API.
LATEST_MESSAGES = 50


class MessageInline(ReadOnlyInline):
    """The latest messages of the conversation, read-only: stored messages are the record of
    what was said. A conversation of thousands of messages is not rendered in one page."""

    verbose_name_plural = f"messages (the latest {LATEST_MESSAGES})"

    model = Message
    fields = readonly_fields = ("seq", "sender", "content", "client_id", "created_at", "files")
    ordering = ["seq"]

    def get_queryset(self, request: HttpRequest) -> Any:
        # A filter, not a slice: the inline's formset filters this queryset by request after.
        latest = Q(seq__gt=F("request__last_seq") - LATEST_MESSAGES)
        return (
            super()
            .get_queryset(request)
            .filter(latest)
            .select_related("sender")
            .prefetch_related("attachments")
        )

    @admin.display(description="attachments")
    def files(self, message: Message) -> str:
        return format_html_join(
            ", ", "{}", ((download_link(a),) for a in message.attachment_list())
        )


def download_link(attachment: Attachment) -> str:
    """The access-checked download (staff may download any attachment, signed in here), never
    a storage URL: files have no public address."""
    return format_html('<a href="{}">{}</a>', attachment_url(attachment), attachment.name)


class ReadOnlyAttachments:
    """Attachments are what was sent: shown, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttachmentInline(ReadOnlyAttachments, admin.TabularInline):
    model = Attachment
    fields = readonly_fields = (
        "download",
        "content_type",
        "size",
        "uploader",
        "message",
        "created_at",
    )
    ordering = ["created_at"]
    extra = 0
    can_delete = False

    @admin.display(description="file")
    def download(self, attachment: Attachment) -> str:
        return download_link(attachment)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAttachments, LargeTableAdmin):
    """Every upload, attached or not. Read-only, and never deleted here: unattached uploads
    are deleted, rows and files, by `delete_stale_attachments` after a day."""

    list_display = (
        "download",
        "content_type",
        "size",
        "uploader",
        "request",
        "message",
        "created_at",
    )
    list_filter = ("content_type", ("message", admin.EmptyFieldListFilter))
    search_fields = ("name", "uploader__email", "request__title")
    list_select_related = ("uploader", "request", "message")
    fields = readonly_fields = (
        "download",
        "name",
        "content_type",
        "size",
        "uploader",
        "request",
        "message",
        "storage_key",
        "created_at",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="file")
    def download(self, attachment: Attachment) -> str:
        return download_link(attachment)


# The request admin of support, with the conversation inline: support knows nothing of chat.
admin.site.unregister(SupportRequest)


@admin.register(SupportRequest)
class SupportRequestWithMessagesAdmin(SupportRequestAdmin):
    inlines = (*SupportRequestAdmin.inlines, MessageInline, AttachmentInline)
    readonly_fields = [*SupportRequestAdmin.readonly_fields, "conversation"]
    fields = [*SupportRequestAdmin.fields, "conversation"]

    @admin.display(description="conversation")
    def conversation(self, request: SupportRequest) -> str:
        history = reverse("request-messages", kwargs={"request_id": request.pk})
        return format_html(
            '{} message(s); the latest {} are below. <a href="{}?limit=200">Read them all</a> '
            "(the API's history, 200 at a time).",
            request.last_seq,
            min(request.last_seq, LATEST_MESSAGES),
            history,
        )
