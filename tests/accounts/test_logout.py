import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db

URL = "/api/auth/logout/"


def _refresh_status(client, refresh: str) -> int:
    return client.post("/api/auth/refresh/", {"refresh": refresh}, format="json").status_code


def test_logout_blacklists_the_refresh_token(user, user_client, api_client):
    refresh = str(RefreshToken.for_user(user))

    response = user_client.post(URL, {"refresh": refresh}, format="json")

    assert response.status_code == 205
    assert _refresh_status(api_client, refresh) == 401


def test_logging_out_twice_with_the_same_token_is_400(user, user_client):
    refresh = str(RefreshToken.for_user(user))
    user_client.post(URL, {"refresh": refresh}, format="json")

    response = user_client.post(URL, {"refresh": refresh}, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()


def test_someone_elses_refresh_token_is_403_and_stays_valid(user_client, api_client):
    other = UserFactory.create()
    refresh = str(RefreshToken.for_user(other))

    response = user_client.post(URL, {"refresh": refresh}, format="json")

    assert response.status_code == 403
    assert _refresh_status(api_client, refresh) == 200


def test_logout_needs_a_signed_in_caller(user, api_client):
    refresh = str(RefreshToken.for_user(user))

    assert api_client.post(URL, {"refresh": refresh}, format="json").status_code == 401


@pytest.mark.parametrize("body", [{}, {"refresh": "garbage"}])
def test_a_missing_or_invalid_refresh_token_is_400(user_client, body):
    response = user_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()


def test_the_other_sessions_of_the_user_survive_a_logout(user, api_client):
    kept = str(RefreshToken.for_user(user))
    client_for(user).post(URL, {"refresh": str(RefreshToken.for_user(user))}, format="json")

    assert _refresh_status(api_client, kept) == 200
