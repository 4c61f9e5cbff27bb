import pytest

from tests.factories import SkillFactory

pytestmark = pytest.mark.django_db


def test_skills_are_listed_by_name_and_paginated(user_client):
    for name in ["rust", "django", "billing"]:
        SkillFactory.create(name=name)

    body = user_client.get("/api/skills/").json()

    assert body["count"] == 3
    assert [skill["name"] for skill in body["results"]] == ["billing", "django", "rust"]
    assert set(body["results"][0]) == {"id", "name"}


def test_skills_need_a_signed_in_caller(api_client):
    assert api_client.get("/api/skills/").status_code == 401
