import uuid

import pytest

from support.models import RequestStatus, SupportRequest
from tests.factories import (
    ActiveRequestFactory,
    ExpertFactory,
    SkillFactory,
    SupportRequestFactory,
)
from tests.helpers.api import client_for
from tests.helpers.requests import url

pytestmark = pytest.mark.django_db


def test_expert_accepts_a_waiting_request(expert, expert_client):
    waiting = SupportRequestFactory.create()
    response = expert_client.post(url("request-accept", waiting.pk))
    assert response.status_code == 200
    assert response.json()["status"] == "ACTIVE"
    assert response.json()["expert"]["id"] == str(expert.pk)
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.ACTIVE
    assert waiting.expert == expert
    assert waiting.accepted_at is not None
    expert.expert_profile.refresh_from_db()
    assert expert.expert_profile.last_assigned_at == waiting.accepted_at


def test_offline_or_unavailable_expert_may_still_accept_by_hand():
    expert = ExpertFactory.create(is_online=False, profile__is_available=False)
    waiting = SupportRequestFactory.create()
    assert client_for(expert).post(url("request-accept", waiting.pk)).status_code == 200


@pytest.mark.parametrize(
    "status", [RequestStatus.ACTIVE, RequestStatus.CLOSED, RequestStatus.CANCELLED]
)
def test_accepting_a_request_that_is_not_waiting_is_a_conflict(expert_client, status):
    if status in (RequestStatus.ACTIVE, RequestStatus.CLOSED):
        settled = ActiveRequestFactory.create(status=status)
    else:
        settled = SupportRequestFactory.create(status=status)
    response = expert_client.post(url("request-accept", settled.pk))
    assert response.status_code == 409
    settled.refresh_from_db()
    assert settled.status == status


def test_second_expert_gets_409_when_request_already_taken(expert_client):
    waiting = SupportRequestFactory.create()
    assert expert_client.post(url("request-accept", waiting.pk)).status_code == 200
    other = client_for(ExpertFactory.create())
    assert other.post(url("request-accept", waiting.pk)).status_code == 409


def test_expert_at_capacity_gets_409(expert, expert_client):
    ActiveRequestFactory.create(expert=expert)
    waiting = SupportRequestFactory.create()
    response = expert_client.post(url("request-accept", waiting.pk))
    assert response.status_code == 409
    assert "capacity" in response.json()["detail"]
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.REQUESTED


def test_expert_with_capacity_two_takes_a_second_request():
    expert = ExpertFactory.create(profile__max_active_requests=2)
    ActiveRequestFactory.create(expert=expert)
    waiting = SupportRequestFactory.create()
    assert client_for(expert).post(url("request-accept", waiting.pk)).status_code == 200


def test_closed_requests_do_not_count_against_capacity(expert, expert_client):
    ActiveRequestFactory.create(expert=expert, status=RequestStatus.CLOSED)
    waiting = SupportRequestFactory.create()
    assert expert_client.post(url("request-accept", waiting.pk)).status_code == 200


def test_expert_without_the_requests_skill_gets_409(expert_client):
    waiting = SupportRequestFactory.create(skill=SkillFactory.create(name="Rust"))
    response = expert_client.post(url("request-accept", waiting.pk))
    assert response.status_code == 409
    assert "skill" in response.json()["detail"]


def test_expert_with_the_skill_accepts():
    rust = SkillFactory.create(name="Rust")
    expert = ExpertFactory.create(profile__skills=[rust])
    waiting = SupportRequestFactory.create(skill=rust)
    assert client_for(expert).post(url("request-accept", waiting.pk)).status_code == 200


@pytest.mark.parametrize("role", ["user", "admin_user"])
def test_customers_and_staff_may_not_accept(request, role):
    waiting = SupportRequestFactory.create()
    caller = request.getfixturevalue(role)
    assert client_for(caller).post(url("request-accept", waiting.pk)).status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.REQUESTED


def test_accepting_an_unknown_request_is_404(expert_client):
    assert expert_client.post(url("request-accept", uuid.uuid4())).status_code == 404


def test_malformed_request_id_is_404(expert_client):
    assert expert_client.post("/api/requests/not-a-uuid/accept/").status_code == 404
    assert SupportRequest.objects.count() == 0
