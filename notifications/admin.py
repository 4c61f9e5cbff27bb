from django.contrib import admin

from notifications.models import OfflineNotice


@admin.register(OfflineNotice)
class OfflineNoticeAdmin(admin.ModelAdmin):
    """What the offline-email job knows of each pair (read only: the job owns these rows)."""

    list_display = ["user", "request", "status", "emails_sent", "last_sent_at", "run_after"]
    list_filter = ["status"]
    list_select_related = ["user", "request"]
    search_fields = ["user__email", "request__title"]
    readonly_fields = [field.name for field in OfflineNotice._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
