"""Reads for accounts."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import Skill, User


def skills_all() -> QuerySet[Skill]:
    return Skill.objects.order_by("name")


def user_active_get(*, user_id: object) -> User | None:
    """The active user with this id, or None; `user_id` may be anything a token's user id claim
    carries (the ORM refuses what cannot be a UUID with ValidationError)."""
    try:
        return User.objects.filter(pk=user_id, is_active=True).first()
    except ValidationError:
        return None
