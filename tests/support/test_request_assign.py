import uuid

import pytest

from support.models import RequestStatus
from tests.factories import (
    ActiveRequestFactory,
    ExpertFactory,
    SkillFactory,
    SupportRequestFactory,
    UserFactory,
)
from tests.helpers.api import client_for
from tests.helpers.requests import url

pytestmark = pytest.mark.django_db


def test_staff_assign_a_waiting_request_to_an_offline_expert(admin_client):
    expert = ExpertFactory.create(is_online=False)
    waiting = SupportRequestFactory.create()
    response = admin_client.post(
        url("request-assign", waiting.pk), {"expert_id": str(expert.pk)}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["expert"]["id"] == str(expert.pk)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.expert) == (RequestStatus.ACTIVE, expert)
    expert.expert_profile.refresh_from_db()
    assert expert.expert_profile.last_assigned_at is not None


def test_assigning_to_an_expert_at_capacity_is_a_conflict(admin_client, expert):
    ActiveRequestFactory.create(expert=expert)
    waiting = SupportRequestFactory.create()
    response = admin_client.post(
        url("request-assign", waiting.pk), {"expert_id": str(expert.pk)}, format="json"
    )
    assert response.status_code == 409


def test_assigning_to_an_expert_without_the_skill_is_a_conflict(admin_client, expert):
    waiting = SupportRequestFactory.create(skill=SkillFactory.create())
    response = admin_client.post(
        url("request-assign", waiting.pk), {"expert_id": str(expert.pk)}, format="json"
    )
    assert response.status_code == 409


def test_assigning_an_active_request_again_is_a_conflict(admin_client, expert):
    active = ActiveRequestFactory.create()
    response = admin_client.post(
        url("request-assign", active.pk), {"expert_id": str(expert.pk)}, format="json"
    )
    assert response.status_code == 409
    active.refresh_from_db()
    assert active.expert != expert


@pytest.mark.parametrize(
    "expert_id", [lambda: UserFactory.create().pk, uuid.uuid4, lambda: "nope", lambda: None]
)
def test_assigning_to_a_non_expert_or_unknown_id_is_a_field_error(admin_client, expert_id):
    waiting = SupportRequestFactory.create()
    value = expert_id()
    response = admin_client.post(
        url("request-assign", waiting.pk),
        {"expert_id": None if value is None else str(value)},
        format="json",
    )
    assert response.status_code == 400
    assert "expert_id" in response.json()


def test_assigning_to_a_deactivated_expert_is_a_field_error(admin_client):
    expert = ExpertFactory.create(is_active=False)
    waiting = SupportRequestFactory.create()
    response = admin_client.post(
        url("request-assign", waiting.pk), {"expert_id": str(expert.pk)}, format="json"
    )
    assert response.status_code == 400


def test_assigning_an_unknown_request_is_404(admin_client, expert):
    response = admin_client.post(
        url("request-assign", uuid.uuid4()), {"expert_id": str(expert.pk)}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["user", "expert"])
def test_only_staff_may_assign(request, role):
    waiting = SupportRequestFactory.create(requester=request.getfixturevalue("user"))
    target = ExpertFactory.create()
    caller = request.getfixturevalue(role)
    response = client_for(caller).post(
        url("request-assign", waiting.pk), {"expert_id": str(target.pk)}, format="json"
    )
    assert response.status_code == 403
