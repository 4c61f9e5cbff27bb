from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.forms import AdminSignInForm
from accounts.models import Skill, User

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
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, with email as the login. (support adds the expert profile.)"""

    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("email", "name", "role", "is_online", "is_active", "is_staff")
    list_filter = ("role", "is_online", "is_active", "is_staff", "is_superuser")
    search_fields = ("email", "name")
    ordering = ("email",)
    readonly_fields = ("date_joined", "last_login", "is_online", "last_seen_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "role")}),
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


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
