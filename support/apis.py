"""Request endpoints: parse input, call one service or selector, serialize the result."""

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from accounts.permissions import IsCustomer, IsExpert, IsStaff, signed_in_user
from support import selectors, services
from support.models import RequestStatus
from support.selectors import request_get_visible, request_queue_for, requests_visible_to
from support.serializers import (
    ExpertCreateInputSerializer,
    ExpertFilterSerializer,
    ExpertSerializer,
    MeUpdateInputSerializer,
    RequestAssignSerializer,
    RequestCreateSerializer,
    RequestListFilterSerializer,
    SupportRequestSerializer,
    UserSerializer,
)


def _valid(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- Me and the experts directory ---------------------------------------------------------------
class MeApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        user = selectors.user_with_profile(user_id=signed_in_user(request).pk)
        return Response(UserSerializer(user).data)

    @extend_schema(request=MeUpdateInputSerializer, responses={200: UserSerializer})
    def patch(self, request: Request) -> Response:
        data = _valid(MeUpdateInputSerializer, request.data)
        user = services.profile_update(user=signed_in_user(request), **data)
        return Response(UserSerializer(selectors.user_with_profile(user_id=user.pk)).data)


class ExpertListApi(generics.ListAPIView):
    serializer_class = ExpertSerializer

    @extend_schema(parameters=[ExpertFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        filters = _valid(ExpertFilterSerializer, self.request.query_params)
        return selectors.experts_list(**filters)


class ExpertDetailApi(APIView):
    @extend_schema(responses={200: ExpertSerializer})
    def get(self, request: Request, expert_id: UUID) -> Response:
        return Response(ExpertSerializer(selectors.expert_get(expert_id=expert_id)).data)


class AdminExpertCreateApi(APIView):
    permission_classes = (IsStaff,)

    @extend_schema(request=ExpertCreateInputSerializer, responses={201: ExpertSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(ExpertCreateInputSerializer, request.data)
        expert = services.expert_create(**data)
        body = ExpertSerializer(selectors.expert_get(expert_id=expert.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


# --- Requests ---------------------------------------------------------------------------------


class RequestListCreateApi(GenericAPIView):
    serializer_class = SupportRequestSerializer

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated(), IsCustomer()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="requests_list",
        parameters=[OpenApiParameter("status", enum=RequestStatus.values, required=False)],
    )
    def get(self, request: Request) -> Response:
        filters = RequestListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        requests = requests_visible_to(user=signed_in_user(request)).order_by("-created_at", "-id")
        if status := filters.validated_data.get("status"):
            requests = requests.filter(status=status)
        page = self.paginate_queryset(requests)
        return self.get_paginated_response(SupportRequestSerializer(page, many=True).data)

    @extend_schema(request=RequestCreateSerializer, responses={201: SupportRequestSerializer})
    def post(self, request: Request) -> Response:
        body = RequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.request_create(
            requester=signed_in_user(request),
            title=body.validated_data["title"],
            description=body.validated_data.get("description", ""),
            skill_name=body.validated_data.get("skill"),
        )
        return Response(SupportRequestSerializer(created).data, status=201)


class RequestQueueApi(GenericAPIView):
    serializer_class = SupportRequestSerializer
    permission_classes = [IsAuthenticated, IsExpert]

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(request_queue_for(expert=signed_in_user(request)))
        return self.get_paginated_response(SupportRequestSerializer(page, many=True).data)


class RequestDetailApi(APIView):
    @extend_schema(responses=SupportRequestSerializer)
    def get(self, request: Request, request_id: UUID) -> Response:
        found = request_get_visible(request_id=request_id, user=signed_in_user(request))
        return Response(SupportRequestSerializer(found).data)


class RequestAcceptApi(APIView):
    permission_classes = [IsAuthenticated, IsExpert]

    @extend_schema(request=None, responses=SupportRequestSerializer)
    def post(self, request: Request, request_id: UUID) -> Response:
        accepted = services.request_accept(request_id=request_id, expert=signed_in_user(request))
        return Response(SupportRequestSerializer(accepted).data)


class RequestAssignApi(APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(request=RequestAssignSerializer, responses=SupportRequestSerializer)
    def post(self, request: Request, request_id: UUID) -> Response:
        body = RequestAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assigned = services.request_assign(
            request_id=request_id,
            expert_id=body.validated_data["expert_id"].pk,
            staff=signed_in_user(request),
        )
        return Response(SupportRequestSerializer(assigned).data)


class RequestCloseApi(APIView):
    @extend_schema(request=None, responses=SupportRequestSerializer)
    def post(self, request: Request, request_id: UUID) -> Response:
        closed = services.request_close(request_id=request_id, actor=signed_in_user(request))
        return Response(SupportRequestSerializer(closed).data)


class RequestCancelApi(APIView):
    @extend_schema(request=None, responses=SupportRequestSerializer)
    def post(self, request: Request, request_id: UUID) -> Response:
        cancelled = services.request_cancel(request_id=request_id, actor=signed_in_user(request))
        return Response(SupportRequestSerializer(cancelled).data)
