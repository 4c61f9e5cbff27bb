"""Accounts REST API: parse input, call one service or selector, serialize the result."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import User
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

AuthResultSerializer = auth_result_serializer()


def _valid(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


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


class RegisterApi(PublicAuthApi):
    @extend_schema(request=RegisterInputSerializer, responses={201: AuthResultSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(RegisterInputSerializer, request.data)
        user = services.user_register(**data)
        return _auth_result(user, status_code=status.HTTP_201_CREATED)


class LoginApi(PublicAuthApi):
    @extend_schema(
        request=LoginInputSerializer,
        responses={
            200: AuthResultSerializer,
            401: OpenApiResponse(description="Wrong email or password, or inactive account."),
            429: OpenApiResponse(description="Too many failed logins for this email."),
        },
    )
    def post(self, request: Request) -> Response:
        data = _valid(LoginInputSerializer, request.data)
        return _auth_result(services.user_login(**data))


class RefreshApi(PublicAuthApi):
    @extend_schema(request=RefreshInputSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(RefreshInputSerializer, request.data)
        return Response(services.token_refresh(refresh=data["refresh"]))


class LogoutApi(APIView):
    @extend_schema(
        request=RefreshInputSerializer,
        responses={205: OpenApiResponse(description="The refresh token is now blacklisted.")},
    )
    def post(self, request: Request) -> Response:
        data = _valid(RefreshInputSerializer, request.data)
        services.token_revoke(refresh=data["refresh"], user=signed_in_user(request))
        return Response(status=status.HTTP_205_RESET_CONTENT)


class SkillListApi(generics.ListAPIView):
    serializer_class = SkillSerializer

    def get_queryset(self) -> Any:
        return selectors.skills_all()
