"""The request lifecycle: REQUESTED -> ACTIVE -> CLOSED, REQUESTED -> CANCELLED, nothing else.

Every transition is one conditional UPDATE filtered on the status it leaves, so it is decided by
the row as it is in the database, never by a copy read earlier. Assignments also lock the
expert's profile first (see support.assignment). Notifications go out on commit.
"""

from functools import partial
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, Skill, User
from config.exceptions import Conflict, InvalidInput, NotAllowed, NotFound
from support.assignment import (
    assign_locked,
    has_free_slot,
    has_skill_for,
    load_request,
    lock_expert_profile,
)
from support.matching import expert_became_eligible, match_request
from support.models import RequestStatus, SupportRequest
from support.notifications import notify_request_changed
from support.permissions import is_expert, is_regular_user, is_staff
from support.selectors import request_get_visible


@transaction.atomic
def request_create(
    *, requester: User, title: str, description: str = "", skill_name: str | None = None
) -> SupportRequest:
    """Open a request and try to match it at once; the result shows the outcome."""
    if not is_regular_user(requester):
        raise NotAllowed("Only customers may open support requests.")
    skill = None
    if skill_name:
        skill = Skill.objects.filter(name__iexact=skill_name).first()
        if skill is None:
            raise InvalidInput(f'Unknown skill "{skill_name}".')
    created = SupportRequest.objects.create(
        requester=requester, title=title, description=description, skill=skill
    )
    request = match_request(request_id=created.pk)
    if request.status == RequestStatus.REQUESTED:
        # A matched request was announced by the assignment itself.
        transaction.on_commit(partial(notify_request_changed, request), robust=True)
        # Matching once more after commit closes a race: an expert who becomes eligible while
        # this transaction is open (closes a request, comes online) drains the queue without
        # seeing this uncommitted request, and the match above did not see them eligible. Each
        # side now looks again after its own commit, so one of them sees the other.
        transaction.on_commit(partial(match_request, request_id=created.pk), robust=True)
    return request


@transaction.atomic
def request_accept(*, request_id: UUID, expert: User) -> SupportRequest:
    """The calling expert takes a waiting request. Of several experts racing, exactly one wins."""
    if not is_expert(expert):
        raise NotAllowed("Only experts may accept requests.")
    profile = lock_expert_profile(expert_id=expert.pk)
    if profile is None:
        raise NotAllowed("This expert account has no expert profile.")
    return _take(request_id=request_id, profile=profile)


@transaction.atomic
def request_assign(*, request_id: UUID, expert_id: UUID, staff: User) -> SupportRequest:
    """Staff give a waiting request to a chosen expert (online or not), within capacity."""
    if not is_staff(staff):
        raise NotAllowed("Only staff may assign requests.")
    profile = lock_expert_profile(expert_id=expert_id)
    if profile is None or not profile.user.is_active or profile.user.role != Role.EXPERT:
        raise InvalidInput("No active expert with this id.")
    return _take(request_id=request_id, profile=profile)


def _take(*, request_id: UUID, profile) -> SupportRequest:
    # The profile is already locked: the request is only read here, then changed by a
    # conditional UPDATE, keeping the lock order profile -> request.
    request = SupportRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise NotFound("No such request.")
    if request.status != RequestStatus.REQUESTED:
        raise Conflict("This request is no longer waiting for an expert.")
    if not has_skill_for(profile, skill_id=request.skill_id):
        raise Conflict("The expert does not have the skill this request needs.")
    if not has_free_slot(profile):
        raise Conflict("The expert is at capacity: close an active request first.")
    assigned = assign_locked(request_id=request.pk, profile=profile)
    if assigned is None:
        raise Conflict("This request is no longer waiting for an expert.")
    return assigned


@transaction.atomic
def request_close(*, request_id: UUID, actor: User) -> SupportRequest:
    """A participant or staff ends an ACTIVE request; the expert's freed slot is offered to the
    oldest waiting request they can take, once this has committed."""
    request_get_visible(request_id=request_id, user=actor)
    updated = SupportRequest.objects.filter(pk=request_id, status=RequestStatus.ACTIVE).update(
        status=RequestStatus.CLOSED, closed_at=timezone.now()
    )
    if updated != 1:
        raise Conflict("Only an active request can be closed.")
    request = load_request(request_id)
    transaction.on_commit(partial(notify_request_changed, request), robust=True)
    transaction.on_commit(partial(expert_became_eligible, expert_id=request.expert_id), robust=True)
    return request


@transaction.atomic
def request_cancel(*, request_id: UUID, actor: User) -> SupportRequest:
    """The requester or staff withdraw a request that is still waiting."""
    request = request_get_visible(request_id=request_id, user=actor)
    if not (is_staff(actor) or request.requester_id == actor.pk):
        raise NotAllowed("Only the requester or staff may cancel a request.")
    updated = SupportRequest.objects.filter(pk=request_id, status=RequestStatus.REQUESTED).update(
        status=RequestStatus.CANCELLED, closed_at=timezone.now()
    )
    if updated != 1:
        raise Conflict("Only a request that is still waiting can be cancelled.")
    request = load_request(request_id)
    transaction.on_commit(partial(notify_request_changed, request), robust=True)
    return request
