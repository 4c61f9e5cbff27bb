from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ActiveRequestFactory, ExpertFactory, SkillFactory, SupportRequestFactory
from tests.helpers.api import client_for
from tests.helpers.requests import url

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return [item["title"] for item in response.json()["results"]]


def test_queue_lists_waiting_requests_with_my_skill_or_none_oldest_first():
    python, rust = SkillFactory.create(name="Python"), SkillFactory.create(name="Rust")
    expert = ExpertFactory.create(profile__skills=[python])
    now = timezone.now()
    SupportRequestFactory.create(title="python newer", skill=python, created_at=now)
    SupportRequestFactory.create(title="any older", created_at=now - timedelta(minutes=5))
    SupportRequestFactory.create(title="rust", skill=rust, created_at=now - timedelta(minutes=9))
    SupportRequestFactory.create(
        title="python oldest", skill=python, created_at=now - timedelta(hours=1)
    )
    ActiveRequestFactory.create(title="taken", created_at=now - timedelta(hours=2))
    SupportRequestFactory.create(title="cancelled", status="CANCELLED")
    response = client_for(expert).get(url("request-queue"))
    assert response.status_code == 200
    assert _titles(response) == ["python oldest", "any older", "python newer"]


def test_expert_without_skills_sees_only_skill_less_requests(expert_client):
    SupportRequestFactory.create(title="needs skill", skill=SkillFactory.create())
    SupportRequestFactory.create(title="anyone")
    assert _titles(expert_client.get(url("request-queue"))) == ["anyone"]


def test_queue_is_paginated(expert_client):
    SupportRequestFactory.create_batch(3)
    page = expert_client.get(url("request-queue"), {"page_size": 2}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2


@pytest.mark.parametrize("role", ["user", "admin_user"])
def test_only_experts_have_a_queue(request, role):
    caller = request.getfixturevalue(role)
    assert client_for(caller).get(url("request-queue")).status_code == 403
