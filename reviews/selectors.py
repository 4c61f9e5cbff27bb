from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.db.models import QuerySet, Sum

from accounts.models import User
from core.errors import NotFound
from reviews.models import Review
from support.models import ExpertProfile


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
    """The mean rating of every review, to two places; None before the first review. Each
    review adds its rating to its expert's rating_sum and rating_count in its own transaction,
    so the experts' totals give the mean exactly, from one row per expert instead of every
    review."""
    totals = ExpertProfile.objects.aggregate(ratings=Sum("rating_sum"), count=Sum("rating_count"))
    if not totals["count"]:
        return None
    average = Decimal(totals["ratings"]) / Decimal(totals["count"])
    return average.quantize(Decimal("0.01"), ROUND_HALF_UP)
