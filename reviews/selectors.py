from uuid import UUID

from django.db.models import QuerySet

from accounts.models import Role, User
from config.exceptions import NotFound
from reviews.models import Review


def reviews_of_expert(*, expert_id: UUID) -> QuerySet[Review]:
    """An expert's reviews, newest first; NotFound if there is no such expert."""
    if not User.objects.filter(pk=expert_id, role=Role.EXPERT).exists():
        raise NotFound("No such expert.")
    return (
        Review.objects.filter(expert_id=expert_id)
        .select_related("reviewer")
        .order_by("-created_at", "-id")
    )
