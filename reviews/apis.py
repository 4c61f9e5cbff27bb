from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import signed_in_user
from core.api import error_answer, valid_data
from reviews.models import Review
from reviews.selectors import reviews_of_expert
from reviews.serializers import ReviewCreateSerializer, ReviewSerializer
from reviews.services import review_create


class ReviewCreateApi(APIView):
    name = "Review"

    @extend_schema(
        request=ReviewCreateSerializer,
        responses={
            201: ReviewSerializer,
            403: error_answer("Only the requester may review a request."),
            409: error_answer("The request is not closed, or was already reviewed."),
        },
    )
    def post(self, request: Request, request_id: UUID) -> Response:
        data = valid_data(ReviewCreateSerializer, request.data)
        review = review_create(
            request_id=request_id,
            reviewer=signed_in_user(request),
            rating=data["rating"],
            comment=data.get("comment", ""),
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ExpertReviewListApi(generics.ListAPIView[Review]):
    """An expert's reviews, newest first."""

    name = "Expert's reviews"
    # Pages by cursor as well as by number (config.pagination).
    keyset_pagination = True
    serializer_class = ReviewSerializer

    def get_queryset(self) -> QuerySet[Review]:
        return reviews_of_expert(expert_id=self.kwargs["expert_id"])
