import pytest

from tests.factories import ExpertFactory, SkillFactory
from tests.helpers.api import NOT_USER_IDS, client_for, signed_token_for_user_id

pytestmark = pytest.mark.django_db

URL = "/api/me/"


def test_a_user_sees_their_own_profile(user, user_client):
    response = user_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.pk),
        "email": user.email,
        "name": user.name,
        "role": "USER",
        "is_online": False,
        "last_seen_at": None,
        "email_notifications": True,
        "expert": None,
    }


def test_an_expert_also_sees_their_expert_profile():
    expert = ExpertFactory.create(
        profile__skills=[SkillFactory.create(name="python"), SkillFactory.create(name="django")],
        profile__max_active_requests=3,
    )

    body = client_for(expert).get(URL).json()

    assert body["role"] == "EXPERT"
    assert body["expert"] == {
        "bio": "Seasoned expert.",
        "skills": ["django", "python"],
        "is_available": True,
        "max_active_requests": 3,
        "rating_avg": 0.0,
        "rating_count": 0,
    }


def test_me_needs_a_valid_token(api_client):
    assert api_client.get(URL).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize("user_id", NOT_USER_IDS, ids=repr)
def test_a_signed_token_whose_user_id_is_not_a_user_id_is_401(api_client, user_id):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {signed_token_for_user_id(user_id)}")

    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "user_not_found"


def test_a_deactivated_users_token_stops_working(user, user_client):
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert user_client.get(URL).status_code == 401
