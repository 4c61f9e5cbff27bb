"""Automatic matching of waiting requests and eligible experts (SPEC: "Request lifecycle and
matching"). Every function here takes the same locks in the same order as accept and assign:
see support.assignment."""

from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q

from support.assignment import (
    assign_locked,
    has_free_slot,
    has_skill_for,
    is_matchable,
    load_request,
    lock_expert_profile,
)
from support.models import RequestStatus, SupportRequest
from support.selectors import active_request_count, eligible_experts

# How many of the best-ranked experts one matching run tries before leaving the request waiting.
# Candidates only fail when something changed since the ranking query; a few tries are plenty.
MATCH_ATTEMPTS = 5


@transaction.atomic
def match_request(
    *, request_id: UUID, exclude_expert_id: UUID | None = None
) -> SupportRequest | None:
    """Give a waiting request to the best eligible expert (but `exclude_expert_id`, the one it
    was just taken from). Returns the request as it now stands (ACTIVE if matched, still
    REQUESTED if nobody could take it), or None if it does not exist."""
    request = SupportRequest.objects.filter(pk=request_id).first()
    if request is None or request.status != RequestStatus.REQUESTED:
        return request
    candidates = eligible_experts(skill_id=request.skill_id)
    if exclude_expert_id is not None:
        candidates = candidates.exclude(user_id=exclude_expert_id)
    for candidate in candidates[:MATCH_ATTEMPTS]:
        # One savepoint per candidate: rolling it back releases the candidate's row lock, so
        # one matching run never holds more than one expert's lock at a time.
        with transaction.atomic():
            profile = lock_expert_profile(expert_id=candidate.user_id)
            # The ranking was read without locks; re-check it now that nobody else can assign
            # to this expert until we commit.
            if not (
                profile
                and is_matchable(profile)
                and has_skill_for(profile, skill_id=request.skill_id)
                and has_free_slot(profile)
            ):
                transaction.set_rollback(True)
                continue
            assigned = assign_locked(request_id=request.pk, profile=profile, actor=None)
        # None: another expert took it or it was cancelled meanwhile; either way it is settled.
        return assigned or load_request(request.pk)
    return load_request(request.pk)


@transaction.atomic
def expert_became_eligible(
    *, expert_id: UUID, exclude_request_id: UUID | None = None
) -> list[SupportRequest]:
    """Give the oldest waiting requests this expert can take to them, up to capacity. Called when
    the expert comes online, turns available, changes skills or finishes a request, or when a
    request leaves them (`exclude_request_id`: that one, which must not come straight back)."""
    profile = lock_expert_profile(expert_id=expert_id)
    if profile is None or not is_matchable(profile):
        return []
    free_slots = profile.max_active_requests - active_request_count(expert_id=expert_id)
    if free_slots <= 0:
        return []
    waiting = (
        SupportRequest.objects.filter(status=RequestStatus.REQUESTED)
        .filter(Q(skill__isnull=True) | Q(skill__in=profile.skills.values("pk")))
        .order_by("created_at", "id")
    )
    if exclude_request_id is not None:
        waiting = waiting.exclude(pk=exclude_request_id)
    if connection.features.has_select_for_update_skip_locked:
        # A request locked by another transaction is being assigned or cancelled right now:
        # skip it rather than wait, so concurrent drains never queue up behind each other.
        waiting = waiting.select_for_update(skip_locked=True)
    assigned = []
    for request in list(waiting[:free_slots]):
        taken = assign_locked(request_id=request.pk, profile=profile, actor=None)
        if taken is not None:
            assigned.append(taken)
    return assigned
