from typing import Any

from rest_framework import serializers

from reviews.models import COMMENT_MAX_CHARS, RATING_MAX, RATING_MIN, Review
from support.serializers import PersonSerializer


class StrictRatingField(serializers.IntegerField):
    """A JSON integer: "5", 4.0 and true are refused rather than coerced."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ReviewCreateSerializer(serializers.Serializer):
    rating = StrictRatingField(min_value=RATING_MIN, max_value=RATING_MAX)
    comment = serializers.CharField(max_length=COMMENT_MAX_CHARS, allow_blank=True, required=False)


class ReviewSerializer(serializers.ModelSerializer):
    request_id = serializers.UUIDField(read_only=True)
    expert_id = serializers.UUIDField(read_only=True)
    reviewer = PersonSerializer(read_only=True)

    class Meta:
        model = Review
        fields = ["id", "request_id", "expert_id", "rating", "comment", "reviewer", "created_at"]
        read_only_fields = fields
