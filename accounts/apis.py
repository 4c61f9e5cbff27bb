"""Accounts REST API: parse input, call one service or selector, serialize the result."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.permissions import IsStaff
from accounts.serializers import (
    AuthResultSerializer,
    ExpertCreateInputSerializer,
    ExpertFilterSerializer,
    ExpertSerializer,
    LoginInputSerializer,
    MeUpdateInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    SkillSerializer,
    TokenPairSerializer,
    UserSerializer,
)


@contextmanager
def field_errors_as_400() -> Iterator[None]:
    """Services report rule violations as Django ValidationErrors keyed by field."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise ValidationError(detail) from exc


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _auth_result(user) -> Response:
    body = {"user": UserSerializer(user).data, **services.tokens_for(user=user)}
    return Response(body)


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
        with field_errors_as_400():
            user = services.user_register(**data)
        response = _auth_result(user)
        response.status_code = status.HTTP_201_CREATED
        return response


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
        with field_errors_as_400():
            services.token_revoke(refresh=data["refresh"], user=request.user)
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(selectors.user_with_profile(user_id=request.user.pk)).data)

    @extend_schema(request=MeUpdateInputSerializer, responses={200: UserSerializer})
    def patch(self, request: Request) -> Response:
        data = _valid(MeUpdateInputSerializer, request.data)
        with field_errors_as_400():
            services.user_profile_update(user=request.user, **data)
        return Response(UserSerializer(selectors.user_with_profile(user_id=request.user.pk)).data)


class SkillListApi(generics.ListAPIView):
    serializer_class = SkillSerializer

    def get_queryset(self):
        return selectors.skills_all()


class ExpertListApi(generics.ListAPIView):
    serializer_class = ExpertSerializer

    @extend_schema(parameters=[ExpertFilterSerializer])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = _valid(ExpertFilterSerializer, self.request.query_params)
        return selectors.experts_list(**filters)


class ExpertDetailApi(APIView):
    @extend_schema(responses={200: ExpertSerializer})
    def get(self, request: Request, expert_id) -> Response:
        return Response(ExpertSerializer(selectors.expert_get(expert_id=expert_id)).data)


class AdminExpertCreateApi(APIView):
    permission_classes = (IsStaff,)

    @extend_schema(request=ExpertCreateInputSerializer, responses={201: ExpertSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(ExpertCreateInputSerializer, request.data)
        with field_errors_as_400():
            expert = services.expert_create(**data)
        body = ExpertSerializer(selectors.expert_get(expert_id=expert.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)
