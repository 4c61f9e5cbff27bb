from datetime import timedelta
from uuid import UUID

import pytest
from django.utils import timezone

from accounts.models import User
from support.matching import expert_became_eligible, match_request
from support.models import ExpertProfile, RequestStatus, SupportRequest
from support.services import request_close
from tests.factories import ActiveRequestFactory, ExpertFactory, SkillFactory, SupportRequestFactory
from tests.helpers.requests import online_expert

pytestmark = pytest.mark.django_db


def _profile(expert: User, **fields: object) -> None:
    ExpertProfile.objects.filter(user=expert).update(**fields)


def _match(*, request_id: UUID) -> SupportRequest:
    """`match_request` for a request that exists, so it returns the request (never None)."""
    request = match_request(request_id=request_id)
    assert request is not None
    return request


def test_least_busy_expert_wins_over_a_better_rated_busier_one():
    busy = online_expert(capacity=3)
    _profile(busy, rating_avg=5)
    ActiveRequestFactory.create(expert=busy)
    idle = online_expert(capacity=3)
    _profile(idle, rating_avg=2)
    waiting = SupportRequestFactory.create()
    assert _match(request_id=waiting.pk).expert == idle


def test_among_equally_busy_experts_the_best_rated_wins():
    low, high = online_expert(), online_expert()
    _profile(low, rating_avg="3.50")
    _profile(high, rating_avg="4.75")
    assert _match(request_id=SupportRequestFactory.create().pk).expert == high


def test_among_equals_the_expert_idle_longest_wins_and_never_assigned_counts_as_longest():
    now = timezone.now()
    recent, earlier, never = online_expert(), online_expert(), online_expert()
    _profile(recent, last_assigned_at=now - timedelta(minutes=1))
    _profile(earlier, last_assigned_at=now - timedelta(hours=1))
    assert _match(request_id=SupportRequestFactory.create().pk).expert == never
    assert _match(request_id=SupportRequestFactory.create().pk).expert == earlier
    assert _match(request_id=SupportRequestFactory.create().pk).expert == recent


@pytest.mark.parametrize(
    "fields",
    [
        {"is_online": False},
        {"is_active": False},
        {"profile__is_available": False},
    ],
)
def test_offline_inactive_or_unavailable_experts_are_not_matched(fields):
    ExpertFactory.create(**{"is_online": True, **fields})
    waiting = SupportRequestFactory.create()
    assert _match(request_id=waiting.pk).status == RequestStatus.REQUESTED


def test_expert_at_capacity_is_not_matched():
    full = online_expert()
    ActiveRequestFactory.create(expert=full)
    assert _match(request_id=SupportRequestFactory.create().pk).status == RequestStatus.REQUESTED


def test_request_with_a_skill_goes_only_to_an_expert_with_it():
    rust = SkillFactory.create(name="Rust")
    online_expert(skills=[SkillFactory.create(name="Go")])
    rustacean = online_expert(skills=[rust])
    assert _match(request_id=SupportRequestFactory.create(skill=rust).pk).expert == rustacean


def test_request_with_an_unmatched_skill_waits():
    online_expert()
    waiting = SupportRequestFactory.create(skill=SkillFactory.create())
    assert _match(request_id=waiting.pk).status == RequestStatus.REQUESTED


def test_skill_less_request_goes_to_any_eligible_expert():
    expert = online_expert(skills=[SkillFactory.create()])
    assert _match(request_id=SupportRequestFactory.create().pk).expert == expert


def test_matching_leaves_settled_requests_alone():
    online_expert()
    cancelled = SupportRequestFactory.create(status=RequestStatus.CANCELLED)
    assert _match(request_id=cancelled.pk).status == RequestStatus.CANCELLED


def test_expert_coming_online_takes_the_oldest_waiting_requests_up_to_capacity():
    now = timezone.now()
    python = SkillFactory.create(name="Python")
    oldest = SupportRequestFactory.create(created_at=now - timedelta(hours=3))
    SupportRequestFactory.create(
        skill=SkillFactory.create(name="Rust"), created_at=now - timedelta(hours=2)
    )
    second = SupportRequestFactory.create(skill=python, created_at=now - timedelta(hours=1))
    third = SupportRequestFactory.create(created_at=now)
    expert = online_expert(skills=[python], capacity=2)

    taken = expert_became_eligible(expert_id=expert.pk)

    assert [r.pk for r in taken] == [oldest.pk, second.pk]
    assert set(SupportRequest.objects.filter(expert=expert).values_list("pk", flat=True)) == {
        oldest.pk,
        second.pk,
    }
    third.refresh_from_db()
    assert third.status == RequestStatus.REQUESTED
    expert.expert_profile.refresh_from_db()
    assert expert.expert_profile.last_assigned_at is not None


def test_expert_became_eligible_gives_nothing_to_an_offline_or_full_expert():
    SupportRequestFactory.create()
    offline = ExpertFactory.create(is_online=False)
    assert expert_became_eligible(expert_id=offline.pk) == []
    full = online_expert()
    ActiveRequestFactory.create(expert=full)
    assert expert_became_eligible(expert_id=full.pk) == []
    assert SupportRequest.objects.filter(status=RequestStatus.REQUESTED).count() == 1


def test_closing_a_request_hands_the_expert_the_next_oldest_waiting_one(
    django_capture_on_commit_callbacks,
):
    now = timezone.now()
    expert = online_expert()
    active = ActiveRequestFactory.create(expert=expert)
    older = SupportRequestFactory.create(created_at=now - timedelta(minutes=10))
    SupportRequestFactory.create(created_at=now)

    with django_capture_on_commit_callbacks(execute=True):
        request_close(request_id=active.pk, actor=active.requester)

    older.refresh_from_db()
    assert (older.status, older.expert) == (RequestStatus.ACTIVE, expert)
    assert SupportRequest.objects.filter(expert=expert, status=RequestStatus.ACTIVE).count() == 1
