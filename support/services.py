"""Writes for support: expert accounts and profiles, and the request lifecycle.

The lifecycle is REQUESTED -> ACTIVE -> CLOSED, REQUESTED -> CANCELLED, and ACTIVE -> ACTIVE
with another expert or back to REQUESTED (a transfer, a timeout). Every transition is one
conditional UPDATE filtered on the state it leaves, so it is decided by the row as it is in the
database, never by a copy read earlier. Whatever gives a request an expert locks that expert's
profile first (see support.assignment). Changes are recorded on the request's timeline and
announced on commit (support.timeline).
"""

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role, Skill, User
from accounts.services import (
    skills_by_name,
    skills_get_or_create,
    user_create,
    user_email_notifications_set,
    user_rename,
)
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.events import publish
from core.transactions import after_commit
from support.assignment import (
    assign_locked,
    has_free_slot,
    has_skill_for,
    load_request,
    lock_expert_profile,
    record_assignment,
)
from support.events import ExpertQueueChanged, RequestChanged, RequestCreated
from support.matching import expert_became_eligible, match_request
from support.models import (
    MAX_ACTIVE_REQUESTS_LIMIT,
    ExpertProfile,
    RequestEventKind,
    RequestStatus,
    SupportRequest,
)
from support.selectors import request_get_visible
from support.timeline import lifecycle_changed, person, request_event_record


# --- Experts ----------------------------------------------------------------------------------
@transaction.atomic
def expert_create(
    *,
    email: str,
    password: str,
    name: str,
    bio: str = "",
    skills: Iterable[str] = (),
    max_active_requests: int = 1,
    validate_password: bool = True,
) -> User:
    """Create an expert account with its profile; unknown skill names are created."""
    if not 1 <= max_active_requests <= MAX_ACTIVE_REQUESTS_LIMIT:
        raise InvalidInput(
            fields={"max_active_requests": [f"Must be between 1 and {MAX_ACTIVE_REQUESTS_LIMIT}."]}
        )
    user = user_create(
        email=email,
        password=password,
        name=name,
        role=Role.EXPERT,
        validate_password=validate_password,
    )
    profile = ExpertProfile.objects.create(
        user=user, bio=bio, max_active_requests=max_active_requests
    )
    profile.skills.set(skills_get_or_create(names=skills))
    return user


@transaction.atomic
def profile_update(
    *,
    user: User,
    name: str | None = None,
    bio: str | None = None,
    skills: Iterable[str] | None = None,
    is_available: bool | None = None,
    email_notifications: bool | None = None,
) -> User:
    """Users edit their name and whether they get offline emails; experts also their bio,
    skills and availability."""
    expert_changes = {"bio": bio, "skills": skills, "is_available": is_available}
    sent = [field for field, value in expert_changes.items() if value is not None]
    if sent and not user.is_expert:
        raise InvalidInput(fields={field: ["Only experts have this field."] for field in sent})
    if name is not None:
        user_rename(user=user, name=name)
    if email_notifications is not None:
        user_email_notifications_set(user=user, enabled=email_notifications)
    if sent:
        _expert_profile_update(user=user, bio=bio, skills=skills, is_available=is_available)
    return user


def _expert_profile_update(
    *, user: User, bio: str | None, skills: Iterable[str] | None, is_available: bool | None
) -> None:
    # Locked so the availability we compare against is the stored one, not a stale copy.
    profile, _ = ExpertProfile.objects.select_for_update().get_or_create(user=user)
    was_available = profile.is_available
    if bio is not None:
        profile.bio = bio
    if is_available is not None:
        profile.is_available = is_available
    profile.save(update_fields=["bio", "is_available"])
    skills_changed = False
    if skills is not None:
        new_skills = skills_by_name(names=skills)
        old_ids = set(profile.skills.values_list("pk", flat=True))
        skills_changed = old_ids != {skill.pk for skill in new_skills}
        profile.skills.set(new_skills)
    if skills_changed or profile.is_available != was_available:
        publish(ExpertQueueChanged(expert_id=user.pk))
    if profile.is_available and (not was_available or skills_changed):
        # Waiting requests this expert can now take are handed over once this is committed; a
        # matching failure is logged and must not turn the saved edit into an error.
        after_commit(expert_became_eligible, expert_id=user.pk)


# --- Requests ------------------------------------------------------------------------------------
@transaction.atomic
def request_create(
    *, requester: User, title: str, description: str = "", skill_name: str | None = None
) -> SupportRequest:
    """Open a request and try to match it at once; the result shows the outcome."""
    if not requester.is_customer:
        raise NotAllowed("Only customers may open support requests.")
    skill = None
    if skill_name:
        skill = Skill.objects.filter(name__iexact=skill_name).first()
        if skill is None:
            raise InvalidInput(fields={"skill": [f'Unknown skill "{skill_name}".']})
    created = SupportRequest.objects.create(
        requester=requester, title=title, description=description, skill=skill
    )
    request_event_record(request_id=created.pk, event=RequestEventKind.CREATED, actor=requester)
    publish(RequestCreated(request=created))
    request = match_request(request_id=created.pk) or load_request(created.pk)
    if request.status == RequestStatus.REQUESTED:
        # A matched request was announced by the assignment itself.
        publish(RequestChanged(request=request, created=True))
        # Matching once more after commit closes a race: an expert who becomes eligible while
        # this transaction is open (closes a request, comes online) drains the queue without
        # seeing this uncommitted request, and the match above did not see them eligible. Each
        # side now looks again after its own commit, so one of them sees the other.
        after_commit(match_request, request_id=created.pk)
    return request


@transaction.atomic
def request_accept(*, request_id: UUID, expert: User) -> SupportRequest:
    """The calling expert takes a waiting request. Of several experts racing, exactly one wins."""
    if not expert.is_expert:
        raise NotAllowed("Only experts may accept requests.")
    profile = lock_expert_profile(expert_id=expert.pk)
    if profile is None:
        raise NotAllowed("This expert account has no expert profile.")
    return _take(
        request_id=request_id, profile=profile, actor=expert, event=RequestEventKind.ACCEPTED
    )


@transaction.atomic
def request_assign(*, request_id: UUID, expert_id: UUID, staff: User) -> SupportRequest:
    """Staff give a waiting request to a chosen expert (online or not), within capacity."""
    if not staff.is_admin:
        raise NotAllowed("Only staff may assign requests.")
    profile = _lock_active_expert(expert_id=expert_id)
    return _take(
        request_id=request_id, profile=profile, actor=staff, event=RequestEventKind.ASSIGNED
    )


def _lock_active_expert(*, expert_id: UUID) -> ExpertProfile:
    """The expert's profile, locked (the first lock of an assignment), or a 400 naming the field,
    as when the id is checked on input."""
    profile = lock_expert_profile(expert_id=expert_id)
    if profile is None or not profile.user.is_active or not profile.user.is_expert:
        raise InvalidInput(fields={"expert_id": ["No active expert with this id."]})
    return profile


def _take(
    *, request_id: UUID, profile: ExpertProfile, actor: User, event: RequestEventKind
) -> SupportRequest:
    # The profile is already locked: the request is only read here, then changed by a
    # conditional UPDATE, keeping the lock order profile -> request.
    request = SupportRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise NotFound("No such request.")
    if request.status != RequestStatus.REQUESTED:
        raise Conflict("This request is no longer waiting for an expert.")
    _check_can_take(profile, request=request)
    assigned = assign_locked(request_id=request.pk, profile=profile, actor=actor, event=event)
    if assigned is None:
        raise Conflict("This request is no longer waiting for an expert.")
    return assigned


def _check_can_take(profile: ExpertProfile, *, request: SupportRequest) -> None:
    """Skill and capacity, the checks every assignment by hand makes. The profile is locked."""
    if not has_skill_for(profile, skill_id=request.skill_id):
        raise Conflict("The expert does not have the skill this request needs.")
    if not has_free_slot(profile):
        raise Conflict("The expert is at capacity: close an active request first.")


@transaction.atomic
def request_close(*, request_id: UUID, actor: User) -> SupportRequest:
    """A participant or staff ends an ACTIVE request; the expert's freed slot is offered to the
    oldest waiting request they can take, once this has committed."""
    request_get_visible(request_id=request_id, user=actor)
    rows = SupportRequest.objects.filter(pk=request_id, status=RequestStatus.ACTIVE)
    if not actor.is_admin:
        # Still a participant when the row changes: a transfer may have just taken the request
        # from this expert.
        rows = rows.filter(Q(requester=actor) | Q(expert=actor))
    closed = _close(rows, request_id=request_id, actor=actor)
    if closed is None:
        request_get_visible(request_id=request_id, user=actor)  # 404 if no longer theirs
        raise Conflict("Only an active request can be closed.")
    return closed


def request_close_idle(*, request_id: UUID, idle_seconds: int) -> SupportRequest | None:
    """The system closes an ACTIVE request nobody wrote in for `idle_seconds` (the caller has
    checked that under the request's row lock). None if it was no longer ACTIVE."""
    rows = SupportRequest.objects.filter(pk=request_id, status=RequestStatus.ACTIVE)
    return _close(
        rows,
        request_id=request_id,
        actor=None,
        detail={"reason": "inactivity", "idle_seconds": idle_seconds},
    )


def _close(
    rows: QuerySet[SupportRequest],
    *,
    request_id: UUID,
    actor: User | None,
    detail: dict[str, object] | None = None,
) -> SupportRequest | None:
    """CLOSED, if `rows` (the request, filtered on what closing it requires) still matches."""
    if rows.update(status=RequestStatus.CLOSED, closed_at=timezone.now()) != 1:
        return None
    request = load_request(request_id)
    lifecycle_changed(request, event=RequestEventKind.CLOSED, actor=actor, detail=detail)
    after_commit(expert_became_eligible, expert_id=request.expert_id)
    return request


@transaction.atomic
def request_cancel(*, request_id: UUID, actor: User) -> SupportRequest:
    """The requester or staff withdraw a request that is still waiting."""
    request = request_get_visible(request_id=request_id, user=actor)
    if not (actor.is_admin or request.requester_id == actor.pk):
        raise NotAllowed("Only the requester or staff may cancel a request.")
    updated = SupportRequest.objects.filter(pk=request_id, status=RequestStatus.REQUESTED).update(
        status=RequestStatus.CANCELLED, closed_at=timezone.now()
    )
    if updated != 1:
        raise Conflict("Only a request that is still waiting can be cancelled.")
    request = load_request(request_id)
    lifecycle_changed(request, event=RequestEventKind.CANCELLED, actor=actor)
    return request


# --- Transfers --------------------------------------------------------------------------------
def request_transfer(
    *, request_id: UUID, actor: User, expert_id: UUID | None = None
) -> SupportRequest:
    """The assigned expert or staff hand an ACTIVE request to another expert (`expert_id`: an
    available one, with the skill and a free slot), or back to the queue, where matching looks
    for anyone but the expert it leaves. The chat history stays with the request; the expert it
    leaves is no longer part of it. Returns the request as it stands once this has committed
    (matched again already, when matching found someone)."""
    with transaction.atomic():
        request = request_get_visible(request_id=request_id, user=actor)
        if not (actor.is_admin or (request.expert_id == actor.pk and actor.is_expert)):
            raise NotAllowed("Only the assigned expert or staff may transfer a request.")
        if request.status != RequestStatus.ACTIVE:
            raise Conflict("Only an active request can be transferred.")
        if expert_id is None:
            moved = request_requeue(request=request, actor=actor, reason="transfer")
        else:
            moved = _move_to_expert(request=request, expert_id=expert_id, actor=actor)
        if moved is None:
            raise Conflict("The request changed meanwhile: it is no longer active with its expert.")
    return load_request(request_id)


def _move_to_expert(
    *, request: SupportRequest, expert_id: UUID, actor: User
) -> SupportRequest | None:
    # Lock order as for every assignment: the new expert's profile, then (by the conditional
    # UPDATE) the request. The expert it leaves only gains a slot: their row needs no lock.
    profile = _lock_active_expert(expert_id=expert_id)
    if profile.user_id == request.expert_id:
        raise Conflict("The request is already with this expert.")
    if not profile.is_available:
        raise Conflict("The expert is not available.")
    _check_can_take(profile, request=request)
    previous = request.expert
    assert previous is not None  # ACTIVE: it has an expert
    now = timezone.now()
    # Conditional on the expert read above: of two transfers (or a transfer and a close)
    # racing, the second finds the row changed and changes nothing.
    updated = SupportRequest.objects.filter(
        pk=request.pk, status=RequestStatus.ACTIVE, expert_id=previous.pk
    ).update(expert_id=profile.user_id, accepted_at=now, expert_read_seq=0)
    if updated != 1:
        return None
    record_assignment(profile, at=now)
    moved = load_request(request.pk)
    lifecycle_changed(
        moved,
        event=RequestEventKind.TRANSFERRED,
        actor=actor,
        detail={"from": person(previous), "to": person(profile.user)},
        previous_expert_id=previous.pk,
    )
    after_commit(expert_became_eligible, expert_id=previous.pk, exclude_request_id=request.pk)
    return moved


def request_requeue(
    *, request: SupportRequest, actor: User | None, reason: str
) -> SupportRequest | None:
    """ACTIVE -> REQUESTED, taken from the expert `request` was read with (None: the request
    changed meanwhile). `actor` None is the system (a timeout), and `reason` says why. Once
    committed, matching looks for another expert, and the freed slot is offered to the expert it
    left, this request excepted: it must not go straight back to them."""
    previous = request.expert
    assert previous is not None  # read while ACTIVE
    updated = SupportRequest.objects.filter(
        pk=request.pk, status=RequestStatus.ACTIVE, expert_id=previous.pk
    ).update(status=RequestStatus.REQUESTED, expert=None, accepted_at=None, expert_read_seq=0)
    if updated != 1:
        return None
    requeued = load_request(request.pk)
    lifecycle_changed(
        requeued,
        event=RequestEventKind.REQUEUED,
        actor=actor,
        detail={"from": person(previous), "reason": reason},
        previous_expert_id=previous.pk,
    )
    # After commit, not now: matching locks expert profiles, which must never be locked after
    # the request row this transaction now holds (support.assignment's lock order).
    after_commit(match_request, request_id=request.pk, exclude_expert_id=previous.pk)
    after_commit(expert_became_eligible, expert_id=previous.pk, exclude_request_id=request.pk)
    return requeued
