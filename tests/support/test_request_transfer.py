"""POST requests/{id}/transfer/: to another expert, or back to the queue."""

import uuid

import pytest

from accounts.models import Skill, User
from support.models import ExpertProfile, RequestEvent, RequestStatus, SupportRequest
from tests.factories import (
    ActiveRequestFactory,
    AdminFactory,
    ExpertFactory,
    MessageFactory,
    SkillFactory,
    SupportRequestFactory,
    UserFactory,
)
from tests.helpers.api import client_for
from tests.helpers.requests import assigned_expert, online_expert, url

pytestmark = pytest.mark.django_db


def _transfer(caller, request: SupportRequest, expert=None):
    body = {} if expert is None else {"expert_id": str(expert.pk)}
    return client_for(caller).post(url("request-transfer", request.pk), body, format="json")


@pytest.mark.parametrize("who", ["expert", "staff"])
def test_the_assigned_expert_or_staff_hand_the_request_to_another_expert(who):
    active = ActiveRequestFactory.create()
    previous = assigned_expert(active)
    target = ExpertFactory.create()
    caller = previous if who == "expert" else AdminFactory.create()

    response = _transfer(caller, active, target)

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["expert"]["id"]) == ("ACTIVE", str(target.pk))
    active.refresh_from_db()
    assert (active.status, active.expert) == (RequestStatus.ACTIVE, target)
    target.expert_profile.refresh_from_db()
    assert target.expert_profile.last_assigned_at == active.accepted_at


def test_the_chat_history_stays_and_the_new_expert_starts_unread():
    active = ActiveRequestFactory.create()
    for seq in (1, 2, 3):
        MessageFactory.create(request=active, seq=seq)
    SupportRequest.objects.filter(pk=active.pk).update(
        last_seq=3, requester_read_seq=3, expert_read_seq=3
    )
    target = ExpertFactory.create()

    body = _transfer(assigned_expert(active), active, target).json()

    assert (body["last_seq"], body["read_seqs"]) == (3, {"user": 3, "expert": 0})
    assert client_for(target).get(url("request-detail", active.pk)).json()["unread_count"] == 3
    history = client_for(target).get(f"{url('request-detail', active.pk)}messages/").json()
    assert [m["seq"] for m in history["results"]] == [1, 2, 3]


def test_the_previous_expert_can_no_longer_see_the_request():
    active = ActiveRequestFactory.create()
    previous = assigned_expert(active)
    _transfer(previous, active, ExpertFactory.create())

    assert client_for(previous).get(url("request-detail", active.pk)).status_code == 404
    assert client_for(previous).post(url("request-close", active.pk)).status_code == 404
    assert _transfer(previous, active).status_code == 404


def test_without_an_expert_the_request_goes_back_to_the_queue(django_capture_on_commit_callbacks):
    active = ActiveRequestFactory.create(expert_read_seq=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = _transfer(assigned_expert(active), active)

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["expert"], body["accepted_at"]) == ("REQUESTED", None, None)
    active.refresh_from_db()
    assert (active.status, active.expert, active.accepted_at) == (
        RequestStatus.REQUESTED,
        None,
        None,
    )


@pytest.mark.django_db(transaction=True)
def test_matching_after_a_requeue_skips_the_previous_expert_and_the_answer_shows_it():
    # The previous expert is online, free once the request leaves them, and ranks first (never
    # assigned, best rating); the other eligible expert still gets it.
    previous = online_expert(capacity=2, profile__rating_avg=5)
    other = online_expert(capacity=2, profile__rating_avg=1)
    active = ActiveRequestFactory.create(expert=previous)

    response = _transfer(previous, active)

    assert response.json()["expert"]["id"] == str(other.pk)
    events = RequestEvent.objects.filter(request=active).order_by("at", "id")
    assert [(e.event, e.actor_id) for e in events] == [
        ("requeued", previous.pk),
        ("assigned", None),
    ]
    active.refresh_from_db()
    assert (active.status, active.expert) == (RequestStatus.ACTIVE, other)


def test_a_requeued_request_nobody_else_can_take_waits_rather_than_return(
    django_capture_on_commit_callbacks,
):
    previous = online_expert()
    active = ActiveRequestFactory.create(expert=previous)
    with django_capture_on_commit_callbacks(execute=True):
        response = _transfer(previous, active)

    assert response.json()["status"] == "REQUESTED"
    active.refresh_from_db()
    assert active.status == RequestStatus.REQUESTED


def test_the_previous_experts_freed_slot_goes_to_the_oldest_other_waiting_request(
    django_capture_on_commit_callbacks,
):
    previous = online_expert()
    active = ActiveRequestFactory.create(expert=previous)
    waiting = SupportRequestFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        _transfer(AdminFactory.create(), active, ExpertFactory.create())

    waiting.refresh_from_db()
    assert (waiting.status, waiting.expert) == (RequestStatus.ACTIVE, previous)


@pytest.mark.parametrize(
    "status", [RequestStatus.REQUESTED, RequestStatus.CLOSED, RequestStatus.CANCELLED]
)
def test_only_an_active_request_can_be_transferred(admin_client, status):
    if status == RequestStatus.CLOSED:
        settled = ActiveRequestFactory.create(status=status)
    else:
        settled = SupportRequestFactory.create(status=status)
    response = admin_client.post(url("request-transfer", settled.pk), {}, format="json")
    assert response.status_code == 409


def test_transferring_to_the_current_expert_is_a_conflict():
    active = ActiveRequestFactory.create()
    expert = assigned_expert(active)
    assert _transfer(expert, active, expert).status_code == 409


def _unavailable(skill: Skill) -> User:
    return ExpertFactory.create(profile__is_available=False, profile__skills=[skill])


def _at_capacity(skill: Skill) -> User:
    expert = ExpertFactory.create(profile__skills=[skill])
    ActiveRequestFactory.create(expert=expert)
    return expert


def _without_the_skill(skill: Skill) -> User:
    return ExpertFactory.create(profile__skills=[SkillFactory.create()])


@pytest.mark.parametrize("refused", [_unavailable, _at_capacity, _without_the_skill])
def test_the_new_expert_must_be_available_with_the_skill_and_a_free_slot(refused):
    skill = SkillFactory.create()
    active = ActiveRequestFactory.create(skill=skill)
    chosen = refused(skill)

    assert _transfer(AdminFactory.create(), active, chosen).status_code == 409
    active.refresh_from_db()
    assert active.expert != chosen
    # The same expert, once able to take it, gets it.
    ExpertProfile.objects.filter(user=chosen).update(is_available=True, max_active_requests=2)
    chosen.expert_profile.skills.add(skill)
    assert _transfer(AdminFactory.create(), active, chosen).status_code == 200


@pytest.mark.parametrize(
    "expert_id",
    [lambda: UserFactory.create().pk, uuid.uuid4, lambda: ExpertFactory.create(is_active=False).pk],
)
def test_an_unknown_or_inactive_expert_is_a_field_error_as_for_assign(admin_client, expert_id):
    active = ActiveRequestFactory.create()
    response = admin_client.post(
        url("request-transfer", active.pk), {"expert_id": str(expert_id())}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"expert_id": ["No active expert with this id."]}


def test_the_requester_may_not_transfer():
    active = ActiveRequestFactory.create()
    assert _transfer(active.requester, active).status_code == 403


@pytest.mark.parametrize("outsider", [UserFactory, ExpertFactory])
def test_outsiders_get_404(outsider):
    active = ActiveRequestFactory.create()
    assert _transfer(outsider.create(), active).status_code == 404
    assert _transfer(outsider.create(), SupportRequest(pk=uuid.uuid4())).status_code == 404


def test_a_transfer_is_on_the_timeline():
    active = ActiveRequestFactory.create()
    previous, target = assigned_expert(active), ExpertFactory.create()
    _transfer(previous, active, target)

    entry = RequestEvent.objects.get(request=active)
    assert (entry.event, entry.actor) == ("transferred", previous)
    assert entry.detail == {
        "from": {"id": str(previous.pk), "name": previous.name},
        "to": {"id": str(target.pk), "name": target.name},
    }
