import pytest

from accounts.models import Skill
from support.models import RequestStatus, SupportRequest
from tests.factories import ExpertFactory, SkillFactory
from tests.helpers.api import client_for
from tests.helpers.requests import online_expert, url

pytestmark = pytest.mark.django_db


def test_user_opens_a_request_that_waits_when_no_expert_is_online(user_client, user):
    ExpertFactory.create(is_online=False)
    response = user_client.post(
        url("request-list"), {"title": "Printer on fire", "description": "Smoke"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "REQUESTED"
    assert body["expert"] is None
    assert body["user"] == {"id": str(user.pk), "name": user.name}
    assert body["skill"] is None
    assert body["last_seq"] == 0
    assert set(body) == {
        "id",
        "title",
        "description",
        "skill",
        "status",
        "user",
        "expert",
        "created_at",
        "accepted_at",
        "closed_at",
        "last_seq",
        "read_seqs",
        "unread_count",
    }
    assert (body["read_seqs"], body["unread_count"]) == ({"user": 0, "expert": 0}, 0)
    assert SupportRequest.objects.get(pk=body["id"]).status == RequestStatus.REQUESTED


def test_new_request_is_matched_at_once_to_an_online_expert(user_client):
    expert = online_expert()
    response = user_client.post(url("request-list"), {"title": "Help"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "ACTIVE"
    assert body["expert"] == {"id": str(expert.pk), "name": expert.name}
    assert body["accepted_at"] is not None
    expert.expert_profile.refresh_from_db()
    assert expert.expert_profile.last_assigned_at is not None


def test_skill_is_given_by_name_in_any_case(user_client):
    SkillFactory.create(name="Python")
    response = user_client.post(
        url("request-list"), {"title": "Help", "skill": "python"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["skill"] == "Python"


def test_unknown_skill_is_a_field_error(user_client):
    response = user_client.post(
        url("request-list"), {"title": "Help", "skill": "Cobol"}, format="json"
    )
    assert response.status_code == 400
    assert "skill" in response.json()
    assert not Skill.objects.filter(name="Cobol").exists()
    assert SupportRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "description": "x" * 5001}, "description"),
    ],
)
def test_invalid_bodies_are_refused_with_field_errors(user_client, body, field):
    response = user_client.post(url("request-list"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_title_of_200_characters_and_description_of_5000_are_accepted(user_client):
    response = user_client.post(
        url("request-list"), {"title": "t" * 200, "description": "d" * 5000}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("role", ["expert", "admin_user"])
def test_only_customers_may_open_requests(request, role):
    caller = request.getfixturevalue(role)
    response = client_for(caller).post(url("request-list"), {"title": "Help"}, format="json")
    assert response.status_code == 403
    assert SupportRequest.objects.count() == 0


def test_anonymous_caller_gets_401(api_client):
    assert api_client.post(url("request-list"), {"title": "x"}, format="json").status_code == 401
