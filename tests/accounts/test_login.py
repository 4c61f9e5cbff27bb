import pytest

from tests.factories import TEST_PASSWORD, ExpertFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/auth/login/"


def test_login_returns_the_user_and_a_token_pair(api_client):
    user = UserFactory.create(email="grace@example.com")

    response = api_client.post(
        URL, {"email": "grace@example.com", "password": TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == str(user.pk)
    assert body["user"]["role"] == "USER"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get("/api/me/").status_code == 200


def test_login_accepts_the_email_in_any_casing(api_client):
    UserFactory.create(email="grace@example.com")

    response = api_client.post(
        URL, {"email": "  Grace@EXAMPLE.com ", "password": TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 200


def test_expert_login_includes_the_expert_profile(api_client):
    expert = ExpertFactory.create()

    response = api_client.post(
        URL, {"email": expert.email, "password": TEST_PASSWORD}, format="json"
    )

    assert response.json()["user"]["role"] == "EXPERT"
    assert response.json()["user"]["expert"]["is_available"] is True


def test_wrong_password_is_401_with_a_clear_detail(api_client):
    user = UserFactory.create()

    response = api_client.post(URL, {"email": user.email, "password": "nope-nope"}, format="json")

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid email or password."


def test_unknown_email_gets_the_same_401_as_a_wrong_password(api_client):
    response = api_client.post(
        URL, {"email": "nobody@example.com", "password": TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid email or password."


def test_inactive_user_cannot_log_in_even_with_the_right_password(api_client):
    user = UserFactory.create(is_active=False)

    response = api_client.post(URL, {"email": user.email, "password": TEST_PASSWORD}, format="json")

    assert response.status_code == 401


def test_missing_fields_are_400(api_client):
    response = api_client.post(URL, {"email": "x@example.com"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()
