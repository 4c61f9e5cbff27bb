"""Reads shared by the request APIs, matching and notifications."""

from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.db.models import Avg, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import ExpertProfile, Role, User
from config.exceptions import NotFound
from support.models import RequestStatus, SupportRequest
from support.permissions import is_expert, is_staff


def requests_visible_to(*, user: User) -> QuerySet[SupportRequest]:
    """Users see their own requests, experts the ones assigned to them, staff everything."""
    requests = SupportRequest.objects.select_related("requester", "expert", "skill")
    if is_staff(user):
        return requests
    if is_expert(user):
        return requests.filter(expert=user)
    return requests.filter(requester=user)


def request_get_visible(*, request_id: UUID, user: User) -> SupportRequest:
    """The request if `user` takes part in it or is staff; otherwise NotFound, so nobody learns
    that a request they may not see exists."""
    request = (
        SupportRequest.objects.select_related("requester", "expert", "skill")
        .filter(pk=request_id)
        .first()
    )
    if request is None or not (is_staff(user) or request.is_participant(user)):
        raise NotFound("No such request.")
    return request


def request_queue_for(*, expert: User) -> QuerySet[SupportRequest]:
    """Waiting requests this expert has the skill for (skill-less ones fit anyone), oldest
    first: the order matching serves them in."""
    skill_ids = ExpertProfile.skills.through.objects.filter(expertprofile_id=expert.pk).values(
        "skill_id"
    )
    return (
        SupportRequest.objects.select_related("requester", "expert", "skill")
        .filter(status=RequestStatus.REQUESTED)
        .filter(Q(skill__isnull=True) | Q(skill_id__in=skill_ids))
        .order_by("created_at", "id")
    )


def active_request_count(*, expert_id: UUID) -> int:
    return SupportRequest.objects.filter(expert_id=expert_id, status=RequestStatus.ACTIVE).count()


def active_request_count_subquery(*, expert_ref: str) -> Coalesce:
    """An annotation: the number of ACTIVE requests of the expert whose user id is the outer
    query's `expert_ref` field."""
    active = (
        SupportRequest.objects.filter(expert_id=OuterRef(expert_ref), status=RequestStatus.ACTIVE)
        .order_by()
        .values("expert_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(active, output_field=IntegerField()), Value(0))


def eligible_experts(*, skill_id: int | None) -> QuerySet[ExpertProfile]:
    """Experts who could take a request naming `skill_id` right now, best match first:
    active account, available, online, has the skill, below capacity; then fewest active
    requests, highest rating, and the longest since their last assignment (never = longest)."""
    experts = (
        _available_experts_with(skill_id=skill_id)
        .select_related("user")
        .annotate(active_count=active_request_count_subquery(expert_ref="user_id"))
        .filter(active_count__lt=F("max_active_requests"))
    )
    return experts.order_by(
        "active_count",
        "-rating_avg",
        F("last_assigned_at").asc(nulls_first=True),
        "user__date_joined",
    )


def queue_watchers(*, skill_id: int | None) -> QuerySet[ExpertProfile]:
    """Online, available experts in whose queue a request naming `skill_id` shows up, full or
    not: the ones told when it is queued and when it is gone. (Anyone with a free slot would
    already have been matched, so limiting this to free experts would tell nobody.)"""
    return _available_experts_with(skill_id=skill_id)


def _available_experts_with(*, skill_id: int | None) -> QuerySet[ExpertProfile]:
    experts = ExpertProfile.objects.filter(
        user__is_active=True, user__role=Role.EXPERT, user__is_online=True, is_available=True
    )
    if skill_id is not None:
        experts = experts.filter(skills__id=skill_id)
    return experts


def platform_stats() -> dict:
    """Counts for the staff console."""
    # Imported here: chat and reviews depend on support, not the other way round.
    from chat.models import Message
    from reviews.models import Review

    by_status = dict(
        SupportRequest.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    average = Review.objects.aggregate(avg=Avg("rating"))["avg"]
    experts = User.objects.filter(role=Role.EXPERT, is_active=True)
    return {
        "users": User.objects.filter(role=Role.USER, is_active=True).count(),
        "experts": experts.count(),
        "experts_online": experts.filter(is_online=True).count(),
        "requests": {status: by_status.get(status, 0) for status in RequestStatus.values},
        "messages": Message.objects.count(),
        "average_rating": None if average is None else _two_places(average),
    }


def _two_places(value) -> Decimal:
    # str() first: PostgreSQL answers a Decimal, SQLite a float; both end up exact to 2 places.
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
