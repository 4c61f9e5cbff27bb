"""Reads for accounts: the experts directory and skills."""

from uuid import UUID

from django.db.models import Q, QuerySet

from accounts.models import Role, Skill, User
from config.exceptions import NotFound
from support.selectors import active_request_count_subquery


def experts_visible() -> QuerySet[User]:
    """Active experts with their profile, skills and number of ACTIVE requests (no N+1)."""
    return (
        User.objects.filter(role=Role.EXPERT, is_active=True, expert_profile__isnull=False)
        .select_related("expert_profile")
        .prefetch_related("expert_profile__skills")
        .annotate(active_requests=active_request_count_subquery(expert_ref="pk"))
    )


def experts_list(
    *,
    skill: str | None = None,
    online: bool | None = None,
    available: bool | None = None,
    search: str | None = None,
) -> QuerySet[User]:
    """The directory: best rated first, then most rated, then by name."""
    experts = experts_visible()
    if skill:
        # Skill names are unique whatever their casing, so this join adds at most one row.
        experts = experts.filter(expert_profile__skills__name__iexact=skill)
    if online is not None:
        experts = experts.filter(is_online=online)
    if available is not None:
        experts = experts.filter(expert_profile__is_available=available)
    if search:
        in_name_or_bio = Q(name__icontains=search) | Q(expert_profile__bio__icontains=search)
        experts = experts.filter(in_name_or_bio)
    # pk last keeps pages stable when everything else ties.
    return experts.order_by(
        "-expert_profile__rating_avg", "-expert_profile__rating_count", "name", "pk"
    )


def expert_get(*, expert_id: UUID) -> User:
    expert = experts_visible().filter(pk=expert_id).first()
    if expert is None:
        raise NotFound("No such expert.")
    return expert


def skills_all() -> QuerySet[Skill]:
    return Skill.objects.order_by("name")


def user_with_profile(*, user_id: UUID) -> User:
    """A user as shown on me/: the expert profile and its skills loaded with it."""
    return (
        User.objects.select_related("expert_profile")
        .prefetch_related("expert_profile__skills")
        .get(pk=user_id)
    )
