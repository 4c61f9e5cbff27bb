from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.db.models import Avg, QuerySet

from accounts.models import User
from core.errors import NotFound
from reviews.models import Review


def reviews_of_expert(*, expert_id: UUID) -> QuerySet[Review]:
    """An expert's reviews, newest first; NotFound if there is no such expert."""
    if not User.objects.experts().filter(pk=expert_id).exists():
        raise NotFound("No such expert.")
    return (
        Review.objects.filter(expert_id=expert_id)
        .select_related("reviewer")
        .order_by("-created_at", "-id")
    )


def average_rating() -> Decimal | None:
    """The mean rating of every review, to two places; None before the first review."""
    average = Review.objects.aggregate(avg=Avg("rating"))["avg"]
    # str() first: PostgreSQL answers a Decimal, SQLite a float; both end up exact to 2 places.
    return (
        None if average is None else Decimal(str(average)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    )
