"""Request and response shapes for the accounts API. Rules live in services."""

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework import serializers

from accounts.models import SKILL_NAME_MAX_CHARS, USER_NAME_MAX_CHARS, Role, Skill, User


# --- Output ---------------------------------------------------------------------------------
class SkillSerializer(serializers.ModelSerializer[Skill]):
    class Meta:
        model = Skill
        fields = ["id", "name"]


class AccountSerializer(serializers.ModelSerializer[User]):
    """The account fields of a user. Apps above accounts add to them: the user object of the
    API is `user_serializer()`."""

    role = serializers.ChoiceField(choices=Role.choices, source="effective_role", read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "is_online", "last_seen_at", "email_notifications"]
        read_only_fields = fields


def user_serializer() -> type[serializers.Serializer]:
    """The user object the API answers with (sign-up, sign-in, me/): settings.USER_SERIALIZER,
    which names the serializer of the app that completes a user (support adds the expert
    profile). accounts never imports the apps above it; the settings wire them."""
    path = getattr(settings, "USER_SERIALIZER", "accounts.serializers.AccountSerializer")
    return import_string(path)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


def auth_result_serializer() -> type[TokenPairSerializer]:
    """`{user, access, refresh}`, with the configured user object."""
    fields = {"user": user_serializer()(), "__module__": __name__}
    return type("AuthResultSerializer", (TokenPairSerializer,), fields)


# --- Input ----------------------------------------------------------------------------------
class RegisterInputSerializer(serializers.Serializer):
    """`role` is deliberately absent: public sign-up only ever creates customers."""

    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=USER_NAME_MAX_CHARS)


class LoginInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class SkillNameListField(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        child = serializers.CharField(max_length=SKILL_NAME_MAX_CHARS)
        super().__init__(child=child, max_length=50, **kwargs)
