"""`admin/stats/`: the staff console's figures. They come from every app (people and requests
from support, messages from chat, ratings from reviews), so they are put together here, in the
one layer that sees all of them."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaff
from chat.selectors import first_response_times
from core.api import valid_data
from core.percentiles import Breakdown
from reviews.selectors import average_rating
from support.selectors import (
    counter_totals,
    platform_counts,
    resolution_times,
    response_times_version,
    user_names,
)

# The window of the response-time figures when `?since=` is not given.
SLA_DEFAULT_DAYS = 30


# How long computed response-time figures are kept. They are keyed by what they are computed
# from (see _response_time_figures), so they are never stale: the time only bounds the cache.
RESPONSE_TIMES_CACHE_SECONDS = 3600


def platform_stats(*, since: date, by_expert: bool = True) -> dict[str, Any]:
    """The answer of `admin/stats/`, serialized."""
    totals = counter_totals()
    counts = {**platform_counts(totals=totals), "average_rating": average_rating(), "since": since}
    version = response_times_version(totals=totals)
    figures = _response_time_figures(since=since, version=version, by_expert=by_expert)
    return {**CountsSerializer(counts).data, **figures}


def _response_time_figures(*, since: date, version: str | None, by_expert: bool) -> dict[str, Any]:
    """The percentiles of first responses and of resolutions of the requests opened since
    `since`, overall and (with `by_expert`) per expert by name, serialized. Computing them reads
    every request of the window and names every expert in it (tens of thousands of rows on a
    large deployment); they only change when a request gets its first response, is closed or
    deleted, or a user is renamed, and each of those moves a counter (support.tallies), so the
    figures computed for one value of it are reused: exact, and the same cost however large the
    window, until the next such change. The overall figures are kept apart from the per-expert
    lists too, so a call without those does not fetch them."""
    key = f"stats:response-times:v3:{since.isoformat()}:{version}:"
    if version is not None and (figures := cache.get(key + str(by_expert))) is not None:
        return figures
    start = datetime.combine(since, time.min, tzinfo=UTC)
    first_response, resolution = first_response_times(since=start), resolution_times(since=start)
    names = user_names(user_ids=[*first_response.by_group, *resolution.by_group])
    full = ResponseTimesSerializer(
        {
            "first_response_seconds": _figures(first_response, names),
            "resolution_seconds": _figures(resolution, names),
        }
    ).data
    overall = {
        name: {field: value for field, value in figures.items() if field != "by_expert"}
        for name, figures in full.items()
    }
    if version is not None:
        cache.set_many({key + "True": full, key + "False": overall}, RESPONSE_TIMES_CACHE_SECONDS)
    return full if by_expert else overall


def _figures(breakdown: Breakdown, names: dict[Any, str]) -> dict[str, Any]:
    by_expert = [
        {"expert": {"id": expert_id, "name": names.get(expert_id, "")}, **vars(figures)}
        for expert_id, figures in breakdown.by_group.items()
    ]
    by_expert.sort(key=lambda entry: (entry["expert"]["name"], str(entry["expert"]["id"])))
    return {**vars(breakdown.overall), "by_expert": by_expert}


class StatsQuerySerializer(serializers.Serializer):
    since = serializers.DateField(
        required=False,
        help_text="ISO date (YYYY-MM-DD, UTC): the response-time figures cover the requests "
        f"opened on that day or later. Default: {SLA_DEFAULT_DAYS} days ago.",
    )
    by_expert = serializers.BooleanField(
        required=False,
        default=True,
        help_text="false: leave out the per-expert lists (`by_expert`), whose length is the "
        "number of experts with requests in the window: the answer then costs the same however "
        "many experts there are.",
    )


class PercentilesSerializer(serializers.Serializer):
    p50 = serializers.FloatField(allow_null=True, help_text="Median, in seconds; null: no data.")
    p90 = serializers.FloatField(allow_null=True, help_text="90th percentile, in seconds.")
    count = serializers.IntegerField(help_text="How many requests the figures are of.")


class ExpertNameSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class ExpertPercentilesSerializer(PercentilesSerializer):
    expert = ExpertNameSerializer()


class DurationFiguresSerializer(PercentilesSerializer):
    by_expert = ExpertPercentilesSerializer(
        many=True, required=False, help_text="Per expert, by name; absent with by_expert=false."
    )


class CountsSerializer(serializers.Serializer):
    users = serializers.IntegerField()
    experts = serializers.IntegerField()
    experts_online = serializers.IntegerField()
    requests = serializers.DictField(child=serializers.IntegerField())
    messages = serializers.IntegerField()
    average_rating = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    since = serializers.DateField()


class ResponseTimesSerializer(serializers.Serializer):
    first_response_seconds = DurationFiguresSerializer(
        help_text="From opening a request to its expert's first message."
    )
    resolution_seconds = DurationFiguresSerializer(
        help_text="From opening a request to closing it (CLOSED requests)."
    )


class StatsSerializer(CountsSerializer, ResponseTimesSerializer):
    """The platform's figures: all-time counts, and response times over a window."""


class StatsApi(APIView):
    name = "Statistics"
    permission_classes = [IsAuthenticated, IsStaff]

    @extend_schema(parameters=[StatsQuerySerializer], responses=StatsSerializer)
    def get(self, request: Request) -> Response:
        query = valid_data(StatsQuerySerializer, request.query_params)
        since = query.get("since") or timezone.now().date() - timedelta(days=SLA_DEFAULT_DAYS)
        return Response(platform_stats(since=since, by_expert=query["by_expert"]))
