import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support.models import ExpertProfile, RequestStatus
from tests.factories import (
    ActiveRequestFactory,
    ExpertFactory,
    SkillFactory,
    SupportRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/experts/"


def _rated(expert, avg: str, count: int):
    ExpertProfile.objects.filter(user=expert).update(rating_avg=Decimal(avg), rating_count=count)
    return expert


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [expert["name"] for expert in response.json()["results"]]


def test_the_directory_lists_active_experts_only(user_client):
    ExpertFactory.create(name="Shown")
    ExpertFactory.create(name="Deactivated", is_active=False)
    UserFactory.create(name="Customer")

    assert _names(user_client.get(URL)) == ["Shown"]


def test_an_expert_entry_has_the_documented_fields(user_client):
    python = SkillFactory.create(name="python")
    expert = _rated(ExpertFactory.create(name="Ann", profile__skills=[python]), "4.50", 2)

    entry = user_client.get(URL).json()["results"][0]

    assert entry == {
        "id": str(expert.pk),
        "name": "Ann",
        "bio": "Seasoned expert.",
        "skills": ["python"],
        "is_online": False,
        "is_available": True,
        "max_active_requests": 1,
        "active_requests": 0,
        "rating_avg": 4.5,
        "rating_count": 2,
    }


def test_experts_are_ordered_by_rating_then_count_then_name(user_client):
    _rated(ExpertFactory.create(name="Low"), "3.00", 10)
    _rated(ExpertFactory.create(name="Top few"), "4.80", 2)
    _rated(ExpertFactory.create(name="Top many"), "4.80", 9)
    _rated(ExpertFactory.create(name="B unrated"), "0", 0)
    _rated(ExpertFactory.create(name="A unrated"), "0", 0)

    assert _names(user_client.get(URL)) == ["Top many", "Top few", "Low", "A unrated", "B unrated"]


def test_active_requests_counts_only_active_ones(user_client):
    expert = ExpertFactory.create(profile__max_active_requests=5)
    ActiveRequestFactory.create_batch(2, expert=expert)
    ActiveRequestFactory.create(expert=expert, status=RequestStatus.CLOSED)
    SupportRequestFactory.create()

    assert user_client.get(URL).json()["results"][0]["active_requests"] == 2


def test_filter_by_skill_ignores_casing(user_client):
    python, go = SkillFactory.create(name="Python"), SkillFactory.create(name="Go")
    ExpertFactory.create(name="Pythonista", profile__skills=[python, go])
    ExpertFactory.create(name="Gopher", profile__skills=[go])

    assert _names(user_client.get(URL, {"skill": "python"})) == ["Pythonista"]
    assert _names(user_client.get(URL, {"skill": "GO"})) == ["Gopher", "Pythonista"]
    assert _names(user_client.get(URL, {"skill": "cobol"})) == []


def test_filter_by_online_and_available(user_client):
    ExpertFactory.create(name="Online available", is_online=True)
    ExpertFactory.create(name="Online busy", is_online=True, profile__is_available=False)
    ExpertFactory.create(name="Offline available")

    assert _names(user_client.get(URL, {"online": "true"})) == ["Online available", "Online busy"]
    assert _names(user_client.get(URL, {"online": "false"})) == ["Offline available"]
    assert _names(user_client.get(URL, {"available": "false"})) == ["Online busy"]
    assert _names(user_client.get(URL, {"online": "true", "available": "true"})) == [
        "Online available"
    ]


def test_search_matches_name_or_bio_case_insensitively(user_client):
    ExpertFactory.create(name="Kubernetes Kim", profile__bio="Clusters.")
    ExpertFactory.create(name="Bob", profile__bio="I tame KUBERNETES at night.")
    ExpertFactory.create(name="Carol", profile__bio="Spreadsheets.")

    assert _names(user_client.get(URL, {"search": "kubernetes"})) == ["Bob", "Kubernetes Kim"]


@pytest.mark.parametrize("params", [{"online": "maybe"}, {"available": "2"}])
def test_an_invalid_boolean_filter_is_400(user_client, params):
    response = user_client.get(URL, params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_the_directory_is_paginated(user_client):
    ExpertFactory.create_batch(3)

    body = user_client.get(URL, {"page_size": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


def test_listing_costs_the_same_queries_however_many_experts(user_client):
    skills = [SkillFactory.create(name="a"), SkillFactory.create(name="b")]

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert user_client.get(URL).status_code == 200
        return len(captured)

    ExpertFactory.create(profile__skills=skills)
    one = queries_for_page()
    for _ in range(5):
        ActiveRequestFactory.create(expert=ExpertFactory.create(profile__skills=skills))

    assert queries_for_page() == one


def test_the_directory_needs_a_signed_in_caller(api_client):
    assert api_client.get(URL).status_code == 401


def test_one_expert_by_id(user_client):
    expert = ExpertFactory.create(name="Solo")
    ActiveRequestFactory.create(expert=expert)

    response = user_client.get(f"{URL}{expert.pk}/")

    assert response.status_code == 200
    assert response.json()["name"] == "Solo"
    assert response.json()["active_requests"] == 1


def test_a_non_expert_or_unknown_id_is_404(user, user_client):
    inactive = ExpertFactory.create(is_active=False)
    for missing in (user.pk, inactive.pk, uuid.uuid4()):
        assert user_client.get(f"{URL}{missing}/").status_code == 404
