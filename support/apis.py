"""Support endpoints: parse input, call one service or selector, serialize the result."""

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsCustomer, IsExpert, IsStaff, signed_in_user
from core.api import error_answer, valid_data
from support import selectors, services
from support.models import RequestEvent, SupportRequest
from support.selectors import (
    request_get_visible,
    request_queue_for,
    request_timeline,
    requests_visible_to,
    requests_with_unread,
)
from support.serializers import (
    ExpertCreateInputSerializer,
    ExpertFilterSerializer,
    ExpertSerializer,
    MeUpdateInputSerializer,
    RequestAssignSerializer,
    RequestCreateSerializer,
    RequestEventSerializer,
    RequestListFilterSerializer,
    RequestTransferSerializer,
    UserRequestSerializer,
    UserSerializer,
)

TAKEN_OR_FULL = error_answer(
    "The request is no longer waiting, or the expert lacks its skill or is at capacity."
)


# --- Me and the experts directory ---------------------------------------------------------------
class MeApi(APIView):
    name = "Me"
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        user = selectors.user_with_profile(user_id=signed_in_user(request).pk)
        return Response(UserSerializer(user).data)

    @extend_schema(request=MeUpdateInputSerializer, responses={200: UserSerializer})
    def patch(self, request: Request) -> Response:
        data = valid_data(MeUpdateInputSerializer, request.data)
        user = services.profile_update(user=signed_in_user(request), **data)
        return Response(UserSerializer(selectors.user_with_profile(user_id=user.pk)).data)


class ExpertListApi(generics.ListAPIView[User]):
    name = "Experts"
    serializer_class = ExpertSerializer

    @extend_schema(parameters=[ExpertFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[User]:
        filters = valid_data(ExpertFilterSerializer, self.request.query_params)
        return selectors.experts_list(**filters)


class ExpertDetailApi(APIView):
    name = "Expert"

    @extend_schema(responses={200: ExpertSerializer})
    def get(self, request: Request, expert_id: UUID) -> Response:
        return Response(ExpertSerializer(selectors.expert_get(expert_id=expert_id)).data)


class AdminExpertCreateApi(APIView):
    name = "New expert"
    permission_classes = (IsStaff,)

    @extend_schema(request=ExpertCreateInputSerializer, responses={201: ExpertSerializer})
    def post(self, request: Request) -> Response:
        data = valid_data(ExpertCreateInputSerializer, request.data)
        expert = services.expert_create(**data)
        body = ExpertSerializer(selectors.expert_get(expert_id=expert.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


# --- Requests ---------------------------------------------------------------------------------
class RequestListCreateApi(generics.ListAPIView[SupportRequest]):
    """Your requests (customers), the ones assigned to you (experts), or all (staff), newest
    first; customers open a new one with POST."""

    name = "Requests"
    # Pages by cursor as well as by number (config.pagination).
    keyset_pagination = True

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated(), IsCustomer()]
        return [IsAuthenticated()]

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        # The browsable API's form for POST shows the input, not the request object.
        if self.request.method == "POST":
            return RequestCreateSerializer
        return UserRequestSerializer

    def get_queryset(self) -> QuerySet[SupportRequest]:
        filters = valid_data(RequestListFilterSerializer, self.request.query_params)
        user = signed_in_user(self.request)
        requests = requests_visible_to(user=user)
        if status := filters.get("status"):
            requests = requests.filter(status=status)
        if filters.get("unread") is not None:
            requests = requests_with_unread(requests, user=user, unread=filters["unread"])
        return requests.order_by("-created_at", "-id")

    @extend_schema(parameters=[RequestListFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=RequestCreateSerializer, responses={201: UserRequestSerializer})
    def post(self, request: Request) -> Response:
        data = valid_data(RequestCreateSerializer, request.data)
        created = services.request_create(
            requester=signed_in_user(request),
            title=data["title"],
            description=data.get("description", ""),
            skill_name=data.get("skill"),
        )
        return Response(
            UserRequestSerializer(created, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class RequestQueueApi(generics.ListAPIView[SupportRequest]):
    """Waiting requests you could take, oldest first."""

    name = "Queue"
    # Pages by cursor as well as by number (config.pagination).
    keyset_pagination = True
    serializer_class = UserRequestSerializer
    permission_classes = [IsAuthenticated, IsExpert]

    def get_queryset(self) -> QuerySet[SupportRequest]:
        return request_queue_for(expert=signed_in_user(self.request))


class RequestDetailApi(APIView):
    name = "Request"

    @extend_schema(responses={200: UserRequestSerializer})
    def get(self, request: Request, request_id: UUID) -> Response:
        found = request_get_visible(request_id=request_id, user=signed_in_user(request))
        return Response(UserRequestSerializer(found, context={"request": request}).data)


class RequestAcceptApi(APIView):
    name = "Accept"
    permission_classes = [IsAuthenticated, IsExpert]

    @extend_schema(request=None, responses={200: UserRequestSerializer, 409: TAKEN_OR_FULL})
    def post(self, request: Request, request_id: UUID) -> Response:
        accepted = services.request_accept(request_id=request_id, expert=signed_in_user(request))
        return Response(UserRequestSerializer(accepted, context={"request": request}).data)


class RequestAssignApi(APIView):
    name = "Assign"
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(
        request=RequestAssignSerializer,
        responses={200: UserRequestSerializer, 409: TAKEN_OR_FULL},
    )
    def post(self, request: Request, request_id: UUID) -> Response:
        data = valid_data(RequestAssignSerializer, request.data)
        assigned = services.request_assign(
            request_id=request_id, expert_id=data["expert_id"].pk, staff=signed_in_user(request)
        )
        return Response(UserRequestSerializer(assigned, context={"request": request}).data)


class RequestCloseApi(APIView):
    name = "Close"

    @extend_schema(
        request=None,
        responses={
            200: UserRequestSerializer,
            409: error_answer("Only an active request can be closed."),
        },
    )
    def post(self, request: Request, request_id: UUID) -> Response:
        closed = services.request_close(request_id=request_id, actor=signed_in_user(request))
        return Response(UserRequestSerializer(closed, context={"request": request}).data)


class RequestCancelApi(APIView):
    name = "Cancel"

    @extend_schema(
        request=None,
        responses={
            200: UserRequestSerializer,
            403: error_answer("Only the requester or staff may cancel a request."),
            409: error_answer("Only a request that is still waiting can be cancelled."),
        },
    )
    def post(self, request: Request, request_id: UUID) -> Response:
        cancelled = services.request_cancel(request_id=request_id, actor=signed_in_user(request))
        return Response(UserRequestSerializer(cancelled, context={"request": request}).data)


class RequestTransferApi(APIView):
    name = "Transfer"

    @extend_schema(
        request=RequestTransferSerializer,
        responses={
            200: UserRequestSerializer,
            403: error_answer("Only the assigned expert or staff may transfer a request."),
            409: error_answer(
                "The request is not active, or the expert is the current one, is not "
                "available, lacks the request's skill or is at capacity."
            ),
        },
    )
    def post(self, request: Request, request_id: UUID) -> Response:
        """Hand an active request to another expert, or (without `expert_id`) back to the
        queue. Answers the request as it then stands: matched again already, when matching
        found another expert."""
        data = valid_data(RequestTransferSerializer, request.data)
        expert = data.get("expert_id")
        moved = services.request_transfer(
            request_id=request_id,
            actor=signed_in_user(request),
            expert_id=expert.pk if expert is not None else None,
        )
        return Response(UserRequestSerializer(moved, context={"request": request}).data)


class RequestTimelineApi(generics.ListAPIView[RequestEvent]):
    """Every lifecycle change of the request, oldest first (participants and staff)."""

    name = "Timeline"
    # Pages by cursor as well as by number (config.pagination).
    keyset_pagination = True
    serializer_class = RequestEventSerializer

    def get_queryset(self) -> QuerySet[RequestEvent]:
        return request_timeline(
            request_id=self.kwargs["request_id"], user=signed_in_user(self.request)
        )
