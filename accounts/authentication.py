"""Bearer-token authentication for the REST API."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.tokens import Token


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's, but a token whose user id claim cannot be a user's id is refused like one
    naming an unknown user (401). A validly signed token may still carry anything there (signed
    by another service that shares JWT_SECRET, or with a leaked key), and simplejwt hands it to
    the ORM, whose ValidationError would otherwise be a 500."""

    # simplejwt types the result as a TypeVar that none of the arguments carries, which no
    # override can name; what it returns is a user.
    def get_user(self, validated_token: Token) -> AbstractBaseUser:  # type: ignore[override]
        try:
            return super().get_user(validated_token)
        except ValidationError as exc:
            raise AuthenticationFailed(_("User not found"), code="user_not_found") from exc


class JWTAuthenticationScheme(SimpleJWTScheme):
    """Its OpenAPI security scheme is simplejwt's (drf-spectacular matches the exact class)."""

    target_class = "accounts.authentication.JWTAuthentication"
