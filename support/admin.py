from django.contrib import admin, messages

from chat.models import Message
from config.exceptions import DomainError
from support import services
from support.models import SupportRequest


class MessageInline(admin.TabularInline):
    """The conversation, read-only: stored messages are the record of what was said."""

    model = Message
    fields = ["seq", "sender", "content", "client_id", "created_at"]
    readonly_fields = fields
    ordering = ["seq"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "requester", "expert", "skill", "created_at", "last_seq"]
    list_filter = ["status", "skill", "expert"]
    search_fields = ["title", "requester__email"]
    list_select_related = ["requester", "expert", "skill"]
    date_hierarchy = "created_at"
    # Status and expert change only through the lifecycle (the actions below), never by editing
    # fields, so the rules, the capacity checks and the notifications always apply.
    readonly_fields = [
        "id",
        "requester",
        "expert",
        "status",
        "created_at",
        "accepted_at",
        "closed_at",
        "last_seq",
    ]
    fields = [
        "id",
        "title",
        "description",
        "skill",
        "status",
        "requester",
        "expert",
        "created_at",
        "accepted_at",
        "closed_at",
        "last_seq",
    ]
    inlines = [MessageInline]
    actions = ["cancel_selected", "close_selected"]

    def has_add_permission(self, request) -> bool:
        # Requests are opened by customers through the API, which also runs matching.
        return False

    @admin.action(description="Cancel selected requests (waiting ones only)")
    def cancel_selected(self, request, queryset) -> None:
        self._apply(request, queryset, services.request_cancel, "cancelled")

    @admin.action(description="Close selected requests (active ones only)")
    def close_selected(self, request, queryset) -> None:
        self._apply(request, queryset, services.request_close, "closed")

    def _apply(self, request, queryset, service, done: str) -> None:
        changed, refused = 0, []
        for support_request in queryset:
            try:
                service(request_id=support_request.pk, actor=request.user)
            except DomainError as exc:
                refused.append(f"{support_request.title}: {exc.detail}")
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{changed} request(s) {done}.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)
