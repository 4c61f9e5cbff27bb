"""`admin/stats/`: the staff console's figures. They come from every app (people and requests
from support, messages from chat, ratings from reviews), so they are put together here, in the
one layer that sees all of them."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaff
from chat.selectors import message_count
from reviews.selectors import average_rating
from support.selectors import people_counts, request_counts_by_status


def platform_stats() -> dict[str, Any]:
    return {
        **people_counts(),
        "requests": request_counts_by_status(),
        "messages": message_count(),
        "average_rating": average_rating(),
    }


class StatsSerializer(serializers.Serializer):
    users = serializers.IntegerField()
    experts = serializers.IntegerField()
    experts_online = serializers.IntegerField()
    requests = serializers.DictField(child=serializers.IntegerField())
    messages = serializers.IntegerField()
    average_rating = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)


class StatsApi(APIView):
    name = "Statistics"
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(responses=StatsSerializer)
    def get(self, request: Request) -> Response:
        return Response(StatsSerializer(platform_stats()).data)
