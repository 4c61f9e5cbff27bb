"""The one way a request gets an expert, shared by accept, staff assignment and matching.

Lock order, the same on every assignment path: the expert's ExpertProfile row first, then the
request row. Holding the profile lock while counting the expert's ACTIVE requests is what keeps
two concurrent assignments to one expert from both seeing the same free slot; taking the two
locks in one order everywhere is what keeps those paths from deadlocking each other.
"""

from datetime import datetime
from uuid import UUID

from django.utils import timezone

from accounts.models import User
from support.models import ExpertProfile, RequestEventKind, RequestStatus, SupportRequest
from support.selectors import active_request_count
from support.timeline import lifecycle_changed, person


def lock_expert_profile(*, expert_id: UUID) -> ExpertProfile | None:
    """Lock and return the expert's profile (fresh from the database), or None if there is none.
    Must be the first lock an assignment takes; callers are inside transaction.atomic()."""
    return (
        ExpertProfile.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(user_id=expert_id)
        .first()
    )


def has_skill_for(profile: ExpertProfile, *, skill_id: int | None) -> bool:
    return skill_id is None or profile.skills.filter(pk=skill_id).exists()


def has_free_slot(profile: ExpertProfile) -> bool:
    """Only meaningful while the profile row is locked (see the module docstring)."""
    return active_request_count(expert_id=profile.user_id) < profile.max_active_requests


def is_matchable(profile: ExpertProfile) -> bool:
    """Whether automatic matching may give this expert work at all (skill and capacity aside)."""
    user = profile.user
    return user.is_active and user.is_expert and user.is_online and profile.is_available


def load_request(request_id: UUID) -> SupportRequest:
    return SupportRequest.objects.select_related("requester", "expert", "skill").get(pk=request_id)


def assign_locked(
    *,
    request_id: UUID,
    profile: ExpertProfile,
    actor: User | None,
    event: RequestEventKind = RequestEventKind.ASSIGNED,
) -> SupportRequest | None:
    """REQUESTED -> ACTIVE with this expert. The caller holds the profile lock and has checked
    skill and capacity. The UPDATE is conditional on the status, so of several transactions
    racing for one request exactly one changes it; the rest get None. `actor` is who assigned
    it (None: matching), recorded on the timeline as `event`."""
    now = timezone.now()
    updated = SupportRequest.objects.filter(pk=request_id, status=RequestStatus.REQUESTED).update(
        status=RequestStatus.ACTIVE, expert_id=profile.user_id, accepted_at=now
    )
    if updated != 1:
        return None
    record_assignment(profile, at=now)
    request = load_request(request_id)
    lifecycle_changed(request, event=event, actor=actor, detail={"expert": person(profile.user)})
    return request


def record_assignment(profile: ExpertProfile, *, at: datetime) -> None:
    """The expert was given a request now: matching ranks them by how long ago that was."""
    ExpertProfile.objects.filter(pk=profile.pk).update(last_assigned_at=at)
    profile.last_assigned_at = at
