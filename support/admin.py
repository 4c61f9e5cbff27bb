from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import UserAdmin
from accounts.models import User
from core.errors import DomainError
from core.events import publish
from core.pages import LargeTableAdmin
from support import services
from support.events import ExpertQueueChanged
from support.models import ExpertProfile, RequestEvent, SupportRequest


class ExpertProfileInline(admin.StackedInline):
    model = ExpertProfile
    can_delete = False
    filter_horizontal = ("skills",)
    readonly_fields = ("rating_avg", "rating_count", "rating_sum", "last_assigned_at")
    extra = 0


# The user admin of accounts, with the expert profile inline: accounts knows nothing of profiles.
admin.site.unregister(User)


def _queue_seat_may_have_changed(user_id: Any) -> None:
    # Skills or availability edited by hand: the expert's sockets move queue groups (chat).
    publish(ExpertQueueChanged(expert_id=user_id))


@admin.register(User)
class UserWithProfileAdmin(UserAdmin):
    inlines = (*UserAdmin.inlines, ExpertProfileInline)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _queue_seat_may_have_changed(form.instance.pk)


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "is_available",
        "max_active_requests",
        "rating_avg",
        "rating_count",
        "last_assigned_at",
    )
    list_filter = ("is_available", "skills")
    search_fields = ("user__email", "user__name", "bio")
    list_select_related = ("user",)
    filter_horizontal = ("skills",)
    autocomplete_fields = ("user",)
    readonly_fields = ("rating_avg", "rating_count", "rating_sum", "last_assigned_at")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _queue_seat_may_have_changed(form.instance.user_id)


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on a request's page as a record: nobody adds, edits or deletes them there."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RequestEventInline(ReadOnlyInline):
    """The request's timeline: the record of what happened to it."""

    model = RequestEvent
    fields = readonly_fields = ("at", "event", "actor", "detail")
    ordering = ["at", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RequestEvent]:
        return super().get_queryset(request).select_related("actor")


@admin.register(SupportRequest)
class SupportRequestAdmin(LargeTableAdmin):
    inlines: ClassVar[tuple[type[InlineModelAdmin], ...]] = (RequestEventInline,)
    list_display = ["title", "status", "requester", "expert", "skill", "created_at", "last_seq"]
    # No filter by expert or by date: with thousands of experts and years of requests, such a
    # filter lists every expert, or scans every row for its dates, on each page. Search by the
    # expert's or the customer's email or name instead.
    list_filter = ["status", "skill"]
    search_fields = [
        "title",
        "requester__email",
        "requester__name",
        "expert__email",
        "expert__name",
    ]
    list_select_related = ["requester", "expert", "skill"]
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
    actions = ["cancel_selected", "close_selected", "requeue_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Requests are opened by customers through the API, which also runs matching.
        return False

    @admin.action(description="Cancel selected requests (waiting ones only)")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[SupportRequest]) -> None:
        self._apply(request, queryset, services.request_cancel, "cancelled")

    @admin.action(description="Close selected requests (active ones only)")
    def close_selected(self, request: HttpRequest, queryset: QuerySet[SupportRequest]) -> None:
        self._apply(request, queryset, services.request_close, "closed")

    @admin.action(description="Send selected requests back to the queue (active ones only)")
    def requeue_selected(self, request: HttpRequest, queryset: QuerySet[SupportRequest]) -> None:
        self._apply(request, queryset, services.request_transfer, "sent back to the queue")

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[SupportRequest],
        service: Callable[..., Any],
        done: str,
    ) -> None:
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
