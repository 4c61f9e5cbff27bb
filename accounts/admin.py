from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.forms import AdminSignInForm
from accounts.models import Skill, User
from accounts.services import users_deactivate
from core.pages import LargeTableAdmin

# /admin/ sign-in counts against the same per-email failure limit as the API's.
admin.site.login_form = AdminSignInForm


class EmailLowercaseMixin:
    cleaned_data: dict[str, Any]

    # Logins compare lower-cased emails, so store them that way whoever types them.
    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class UserCreationForm(EmailLowercaseMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "role")


class UserEditForm(EmailLowercaseMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(LargeTableAdmin, DjangoUserAdmin):
    """Django's user admin, with email as the login. (support adds the expert profile.)"""

    form = UserEditForm
    add_form = UserCreationForm
    actions = ["deactivate_selected"]
    list_display = ("email", "name", "role", "is_online", "is_active", "is_staff")
    list_filter = ("role", "is_online", "is_active", "is_staff", "is_superuser")
    search_fields = ("email", "name")
    ordering = ("email",)
    readonly_fields = ("date_joined", "last_login", "is_online", "last_seen_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "role", "email_notifications")}),
        ("Presence", {"fields": ("is_online", "last_seen_at")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # Unticking "active" goes through the service, so the user's sockets are closed too.
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        if deactivating:
            obj.is_active = True
        super().save_model(request, obj, form, change)
        if deactivating:
            users_deactivate(user_ids=[obj.pk])
            obj.is_active = False

    @admin.action(description="Deactivate selected accounts (and close their sockets)")
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = users_deactivate(user_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} account(s) deactivated.", messages.SUCCESS)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
