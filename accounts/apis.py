"""Accounts REST API: parse input, call one service or selector, serialize the result."""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import Skill, User
from accounts.permissions import signed_in_user
from accounts.serializers import (
    LoginInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    SkillSerializer,
    TokenPairSerializer,
    auth_result_serializer,
    user_serializer,
)
from core.api import error_answer, valid_data

AuthResultSerializer = auth_result_serializer()


def _auth_result(user: User, *, status_code: int = status.HTTP_200_OK) -> Response:
    body = {"user": user_serializer()(user).data, **services.tokens_for(user=user)}
    return Response(body, status=status_code)


class PublicAuthApi(APIView):
    """Endpoints that take credentials in the body, not a token in the header."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_authenticate_header(self, request: Request) -> str:
        # Without a challenge DRF would turn our 401s into 403s.
        return 'Bearer realm="api"'


class RegistrationRateThrottle(SimpleRateThrottle):
    """settings.REGISTER_RATE sign-ups per client address."""

    scope = "register"

    def get_rate(self) -> str:
        count, seconds = settings.REGISTER_RATE
        return f"{count}/{seconds}s"

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        count, seconds = settings.REGISTER_RATE
        return count, seconds

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        # The connection's address only: X-Forwarded-For is whatever the client says unless
        # a trusted proxy set it, and then the server already put it in REMOTE_ADDR.
        address = request.META.get("REMOTE_ADDR")
        return None if not address else self.cache_format % {"scope": self.scope, "ident": address}


class RegisterApi(PublicAuthApi):
    name = "Sign up"
    throttle_classes = (RegistrationRateThrottle,)

    @extend_schema(
        request=RegisterInputSerializer,
        responses={
            201: AuthResultSerializer,
            429: error_answer("Too many sign-ups from this address; wait `Retry-After` seconds."),
        },
    )
    def post(self, request: Request) -> Response:
        user = services.user_register(**valid_data(RegisterInputSerializer, request.data))
        return _auth_result(user, status_code=status.HTTP_201_CREATED)


class LoginApi(PublicAuthApi):
    name = "Sign in"

    @extend_schema(
        request=LoginInputSerializer,
        responses={
            200: AuthResultSerializer,
            401: error_answer("Wrong email or password, or an inactive account."),
            429: error_answer(
                "Too many failed logins for this email or from this address; wait "
                "`Retry-After` seconds."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = valid_data(LoginInputSerializer, request.data)
        user = services.user_login(**data, client_address=request.META.get("REMOTE_ADDR"))
        return _auth_result(user)


class RefreshApi(PublicAuthApi):
    name = "Refresh tokens"

    @extend_schema(
        request=RefreshInputSerializer,
        responses={
            200: TokenPairSerializer,
            401: error_answer("The refresh token is invalid, expired or already used."),
        },
    )
    def post(self, request: Request) -> Response:
        data = valid_data(RefreshInputSerializer, request.data)
        return Response(services.token_refresh(refresh=data["refresh"]))


class LogoutApi(APIView):
    name = "Sign out"

    @extend_schema(
        request=RefreshInputSerializer,
        responses={
            205: OpenApiResponse(description="The refresh token is now blacklisted."),
            403: error_answer("The refresh token belongs to another user."),
        },
    )
    def post(self, request: Request) -> Response:
        data = valid_data(RefreshInputSerializer, request.data)
        services.token_revoke(refresh=data["refresh"], user=signed_in_user(request))
        return Response(status=status.HTTP_205_RESET_CONTENT)


class SkillListApi(generics.ListAPIView[Skill]):
    name = "Skills"
    serializer_class = SkillSerializer

    def get_queryset(self) -> QuerySet[Skill]:
        return selectors.skills_all()
