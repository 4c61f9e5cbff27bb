from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chat.models import Message
from support.admin import SupportRequestAdmin
from support.models import SupportRequest


class MessageInline(admin.TabularInline):
    """The conversation, read-only: stored messages are the record of what was said."""

    model = Message
    fields = readonly_fields = ("seq", "sender", "content", "client_id", "created_at")
    ordering = ["seq"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The request admin of support, with the conversation inline: support knows nothing of chat.
admin.site.unregister(SupportRequest)


@admin.register(SupportRequest)
class SupportRequestWithMessagesAdmin(SupportRequestAdmin):
    inlines = (*SupportRequestAdmin.inlines, MessageInline)
