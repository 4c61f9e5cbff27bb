from django.contrib import admin

from core.pages import LargeTableAdmin
from reviews.models import Review


@admin.register(Review)
class ReviewAdmin(LargeTableAdmin):
    """Read-only: a review is the customer's word, and the expert's rating aggregates depend on
    it, so staff look but neither edit nor delete."""

    list_display = ["request", "expert", "reviewer", "rating", "created_at"]
    list_filter = ["rating", "created_at"]
    search_fields = ["expert__email", "reviewer__email", "request__title", "comment"]
    list_select_related = ["request", "expert", "reviewer"]
    readonly_fields = ["request", "expert", "reviewer", "rating", "comment", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
