from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import signed_in_user
from reviews.selectors import reviews_of_expert
from reviews.serializers import ReviewCreateSerializer, ReviewSerializer
from reviews.services import review_create


class ReviewCreateApi(APIView):
    @extend_schema(request=ReviewCreateSerializer, responses={201: ReviewSerializer})
    def post(self, request: Request, request_id: UUID) -> Response:
        body = ReviewCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = review_create(
            request_id=request_id,
            reviewer=signed_in_user(request),
            rating=body.validated_data["rating"],
            comment=body.validated_data.get("comment", ""),
        )
        return Response(ReviewSerializer(review).data, status=201)


class ExpertReviewListApi(GenericAPIView):
    serializer_class = ReviewSerializer

    def get(self, request: Request, expert_id: UUID) -> Response:
        page = self.paginate_queryset(reviews_of_expert(expert_id=expert_id))
        return self.get_paginated_response(ReviewSerializer(page, many=True).data)
