"""Reads shared by the support APIs, matching and the real-time layer above."""

from datetime import datetime
from typing import Any, TypedDict
from uuid import UUID

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import User, customer_q, expert_q
from core.errors import NotFound
from core.percentiles import Breakdown, Seconds, duration_breakdown
from support import tallies
from support.models import ExpertProfile, RequestEvent, RequestStatus, SupportRequest


# --- Requests ---------------------------------------------------------------------------------
def requests_visible_to(*, user: User) -> QuerySet[SupportRequest]:
    """Users see their own requests, experts the ones assigned to them, staff everything."""
    requests = SupportRequest.objects.select_related("requester", "expert", "skill")
    if user.is_admin:
        return requests
    if user.is_expert:
        return requests.filter(expert=user)
    return requests.filter(requester=user)


def requests_with_unread(
    requests: QuerySet[SupportRequest], *, user: User, unread: bool
) -> QuerySet[SupportRequest]:
    """The requests where `user` has (unread=True) or has not (False) messages left to read.
    Staff who do not take part have none."""
    mine = Q(requester=user, last_seq__gt=F("requester_read_seq")) | Q(
        expert=user, last_seq__gt=F("expert_read_seq")
    )
    return requests.filter(mine) if unread else requests.exclude(mine)


def request_get_visible(*, request_id: UUID | str, user: User) -> SupportRequest:
    """The request if `user` takes part in it or is staff; otherwise NotFound, so nobody learns
    that a request they may not see exists."""
    request = (
        SupportRequest.objects.select_related("requester", "expert", "skill")
        .filter(pk=request_id)
        .first()
    )
    if request is None or not (user.is_admin or request.is_participant(user)):
        raise NotFound("No such request.")
    return request


def request_timeline(*, request_id: UUID, user: User) -> QuerySet[RequestEvent]:
    """The request's lifecycle, oldest first, for its participants and staff (NotFound for
    anyone else: an expert it was transferred away from included)."""
    request = request_get_visible(request_id=request_id, user=user)
    return RequestEvent.objects.filter(request=request).select_related("actor").order_by("at", "id")


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


def counter_totals() -> dict[str, int] | None:
    """The counters the database keeps (support.tallies), read once for the selectors below;
    None where they are not kept."""
    return tallies.tally_totals() if tallies.kept_by_triggers() else None


def platform_counts(*, totals: dict[str, int] | None = None) -> dict[str, Any]:
    """People (active customers, experts, experts online), requests by status and stored
    messages: from the counters the database keeps (support.tallies) on PostgreSQL, so the cost
    does not grow with the data; counted here elsewhere."""
    if not tallies.kept_by_triggers():
        return {
            **_people_counted(),
            "requests": _requests_by_status_counted(),
            "messages": _messages_counted(),
        }
    totals = totals if totals is not None else tallies.tally_totals()
    prefix = tallies.REQUEST_COUNTER_PREFIX
    return {
        **{name: totals.get(name, 0) for name in tallies.PEOPLE},
        "requests": {status: totals.get(prefix + status, 0) for status in RequestStatus.values},
        "messages": totals.get(tallies.MESSAGES, 0),
    }


def response_times_version(*, totals: dict[str, int] | None = None) -> str | None:
    """A value that changes whenever the response-time figures of any window may change (a
    first response, a close, a deletion, a rename), or None where the counters are not kept."""
    if not tallies.kept_by_triggers():
        return None
    totals = totals if totals is not None else tallies.tally_totals()
    return str(totals.get(tallies.RESPONSE_TIME_CHANGES, 0))


def _requests_by_status_counted() -> dict[str, int]:
    by_status = dict(
        SupportRequest.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: by_status.get(status, 0) for status in RequestStatus.values}


def _messages_counted() -> int:
    """A request's messages are numbered 1..last_seq with no gap, so this is the sum of
    last_seq: one pass over the requests, not over every message."""
    return SupportRequest.objects.aggregate(total=Sum("last_seq"))["total"] or 0


def resolution_times(*, since: datetime, in_database: bool | None = None) -> Breakdown:
    """Seconds from opening to closing, of the CLOSED requests opened since `since`: overall,
    and per the expert who had each at the end."""
    closed = SupportRequest.objects.filter(status=RequestStatus.CLOSED, created_at__gte=since)
    return duration_breakdown(
        closed,
        seconds=Seconds(F("closed_at"), F("created_at")),
        group=F("expert_id"),
        in_database=in_database,
    )


# --- Experts ----------------------------------------------------------------------------------
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
    already have been matched, so limiting this to free experts would tell nobody.) The
    sockets work this out themselves from their queue seat (below); this is its reference."""
    return _available_experts_with(skill_id=skill_id)


class QueueSeat(TypedDict):
    skill_ids: list[int]
    is_available: bool


def expert_queue_seat(*, expert_id: UUID) -> QueueSeat | None:
    """Which queue groups an expert's sockets belong to (their skills), and whether they are
    told of queue changes at all (available); None for anyone who is not an active expert."""
    profile = (
        ExpertProfile.objects.filter(expert_q("user__"), user_id=expert_id, user__is_active=True)
        .values("is_available")
        .first()
    )
    if profile is None:
        return None
    skill_ids = ExpertProfile.skills.through.objects.filter(expertprofile_id=expert_id)
    return QueueSeat(
        skill_ids=sorted(skill_ids.values_list("skill_id", flat=True)),
        is_available=profile["is_available"],
    )


def _available_experts_with(*, skill_id: int | None) -> QuerySet[ExpertProfile]:
    experts = ExpertProfile.objects.filter(
        expert_q("user__"), user__is_active=True, user__is_online=True, is_available=True
    )
    if skill_id is not None:
        experts = experts.filter(skills__id=skill_id)
    return experts


def experts_visible() -> QuerySet[User]:
    """Active experts with their profile, skills and number of ACTIVE requests (no N+1)."""
    return (
        User.objects.experts()
        .filter(is_active=True, expert_profile__isnull=False)
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


def user_names(*, user_ids: list[UUID]) -> dict[UUID, str]:
    return dict(User.objects.filter(pk__in=user_ids).values_list("pk", "name"))


def user_with_profile(*, user_id: UUID) -> User:
    """A user as shown on me/: the expert profile and its skills loaded with it."""
    return (
        User.objects.select_related("expert_profile")
        .prefetch_related("expert_profile__skills")
        .get(pk=user_id)
    )


def _people_counted() -> dict[str, int]:
    """Active customers and experts, and how many experts are online."""
    counts = User.objects.filter(is_active=True).aggregate(
        users=Count("pk", filter=customer_q()),
        experts=Count("pk", filter=expert_q()),
        experts_online=Count("pk", filter=expert_q() & Q(is_online=True)),
    )
    return {name: counts[name] for name in ("users", "experts", "experts_online")}
