from django.contrib import admin

from chat.models import Message
from support.admin import ReadOnlyInline, SupportRequestAdmin
from support.models import SupportRequest


class MessageInline(ReadOnlyInline):
    """The conversation, read-only: stored messages are the record of what was said."""

    model = Message
    fields = readonly_fields = ("seq", "sender", "content", "client_id", "created_at")
    ordering = ["seq"]


# The request admin of support, with the conversation inline: support knows nothing of chat.
admin.site.unregister(SupportRequest)


@admin.register(SupportRequest)
class SupportRequestWithMessagesAdmin(SupportRequestAdmin):
    inlines = (*SupportRequestAdmin.inlines, MessageInline)
