"""Request endpoints: parse input, call one service or selector, serialize the result."""

from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsExpert, IsRegularUser, IsStaff
from support import services
from support.models import RequestStatus
from support.selectors import (
    platform_stats,
    request_get_visible,
    request_queue_for,
    requests_visible_to,
)
from support.serializers import (
    RequestAssignSerializer,
    RequestCreateSerializer,
    RequestListFilterSerializer,
    StatsSerializer,
    SupportRequestSerializer,
)


class RequestListCreateApi(GenericAPIView):
    serializer_class = SupportRequestSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated(), IsRegularUser()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="requests_list",
        parameters=[OpenApiParameter("status", enum=RequestStatus.values, required=False)],
    )
    def get(self, request: Request) -> Response:
        filters = RequestListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        requests = requests_visible_to(user=request.user).order_by("-created_at", "-id")
        if status := filters.validated_data.get("status"):
            requests = requests.filter(status=status)
        page = self.paginate_queryset(requests)
        return self.get_paginated_response(SupportRequestSerializer(page, many=True).data)

    @extend_schema(request=RequestCreateSerializer, responses={201: SupportRequestSerializer})
    def post(self, request: Request) -> Response:
        body = RequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.request_create(
            requester=request.user,
            title=body.validated_data["title"],
            description=body.validated_data.get("description", ""),
            skill_name=body.validated_data.get("skill"),
        )
        return Response(SupportRequestSerializer(created).data, status=201)


class RequestQueueApi(GenericAPIView):
    serializer_class = SupportRequestSerializer
    permission_classes = [IsAuthenticated, IsExpert]

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(request_queue_for(expert=request.user))
        return self.get_paginated_response(SupportRequestSerializer(page, many=True).data)


class RequestDetailApi(APIView):
    @extend_schema(responses=SupportRequestSerializer)
    def get(self, request: Request, request_id: UUID) -> Response:
        found = request_get_visible(request_id=request_id, user=request.user)
        return Response(SupportRequestSerializer(found).data)


class RequestAcceptApi(APIView):
    permission_classes = [IsAuthenticated, IsExpert]

    @extend_schema(request=None, responses=SupportRequestSerializer)
    def post(self, request: Request, request_id: UUID) -> Response:
        accepted = services.request_accept(request_id=request_id, expert=request.user)
        return Response(SupportRequestSerializer(accepted).data)


class RequestAssignApi(APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(request=RequestAssignSerializer, responses=SupportRequestSerializer)
    def post(self, request: Request, request_id: UUID) -> Response:
        body = RequestAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assigned = services.request_assign(
            request_id=request_id, expert_id=body.validated_data["expert_id"].pk, staff=request.user
        )
        return Response(SupportRequestSerializer(assigned).data)


class RequestCloseApi(APIView):
    @extend_schema(request=None, responses=SupportRequestSerializer)
    def post(self, request: Request, request_id: UUID) -> Response:
        closed = services.request_close(request_id=request_id, actor=request.user)
        return Response(SupportRequestSerializer(closed).data)


class RequestCancelApi(APIView):
    @extend_schema(request=None, responses=SupportRequestSerializer)
    def post(self, request: Request, request_id: UUID) -> Response:
        cancelled = services.request_cancel(request_id=request_id, actor=request.user)
        return Response(SupportRequestSerializer(cancelled).data)


class StatsApi(APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(responses=StatsSerializer)
    def get(self, request: Request) -> Response:
        return Response(StatsSerializer(platform_stats()).data)
