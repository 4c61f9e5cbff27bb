import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import TEST_PASSWORD, UserFactory
from tests.helpers.api import NOT_USER_IDS, signed_token_for_user_id
from tests.helpers.concurrency import returned, run_at_once
from tests.helpers.markers import requires_postgres
from tests.helpers.openapi import SchemaCheckedClient as APIClient

URL = "/api/auth/refresh/"


def _login(client, user) -> dict:
    response = client.post(
        "/api/auth/login/", {"email": user.email, "password": TEST_PASSWORD}, format="json"
    )
    return response.json()


@pytest.mark.django_db
def test_refresh_rotates_the_token_pair(api_client):
    tokens = _login(api_client, UserFactory.create())

    response = api_client.post(URL, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 200
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    assert fresh["refresh"] != tokens["refresh"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    assert api_client.get("/api/me/").status_code == 200


@pytest.mark.django_db
def test_reusing_a_rotated_refresh_token_is_rejected(api_client):
    tokens = _login(api_client, UserFactory.create())
    first = api_client.post(URL, {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200

    again = api_client.post(URL, {"refresh": tokens["refresh"]}, format="json")

    assert again.status_code == 401
    assert "blacklisted" in again.json()["detail"]
    # The token issued by the rotation still works.
    rotated = {"refresh": first.json()["refresh"]}
    assert api_client.post(URL, rotated, format="json").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["garbage", "a.b.c"])
def test_a_malformed_refresh_token_is_401(api_client, token):
    assert api_client.post(URL, {"refresh": token}, format="json").status_code == 401


@pytest.mark.django_db
def test_an_access_token_is_not_accepted_as_a_refresh_token(api_client):
    tokens = _login(api_client, UserFactory.create())

    assert api_client.post(URL, {"refresh": tokens["access"]}, format="json").status_code == 401


@pytest.mark.django_db
def test_a_deactivated_user_cannot_refresh(api_client):
    user = UserFactory.create()
    tokens = _login(api_client, user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert api_client.post(URL, {"refresh": tokens["refresh"]}, format="json").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("user_id", NOT_USER_IDS, ids=repr)
def test_a_signed_refresh_token_whose_user_id_is_not_a_user_id_is_401(api_client, user_id):
    refresh = signed_token_for_user_id(user_id, kind=RefreshToken)

    response = api_client.post(URL, {"refresh": refresh}, format="json")

    assert response.status_code == 401


@pytest.mark.django_db
def test_a_missing_refresh_field_is_400(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_yield_exactly_one_new_pair():
    refresh = str(RefreshToken.for_user(UserFactory.create()))
    racers = 4

    responses = run_at_once(
        [lambda: APIClient().post(URL, {"refresh": refresh}, format="json")] * racers
    )
    statuses = [response.status_code for response in returned(responses)]

    assert sorted(statuses) == [200] + [401] * (racers - 1)
