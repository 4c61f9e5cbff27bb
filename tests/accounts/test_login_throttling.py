import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD, UserFactory
from tests.helpers.concurrency import returned, run_at_once
from tests.helpers.markers import requires_postgres

URL = "/api/auth/login/"


def _fail(client, email: str, times: int) -> list[int]:
    return [
        client.post(URL, {"email": email, "password": "wrong-password"}, format="json").status_code
        for _ in range(times)
    ]


@pytest.mark.django_db
def test_after_the_failure_limit_the_email_is_locked_even_with_the_right_password(api_client):
    user = UserFactory.create()

    assert _fail(api_client, user.email, settings.LOGIN_FAILURE_LIMIT) == [401] * 10

    response = api_client.post(URL, {"email": user.email, "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert "detail" in response.json()


@pytest.mark.django_db
def test_locked_email_keeps_getting_429_for_wrong_passwords_too(api_client):
    user = UserFactory.create()
    _fail(api_client, user.email, settings.LOGIN_FAILURE_LIMIT)

    assert _fail(api_client, user.email, 3) == [429] * 3


@pytest.mark.django_db
def test_the_lock_applies_whatever_casing_the_email_is_typed_in(api_client):
    user = UserFactory.create(email="casey@example.com")
    _fail(api_client, "casey@example.com", settings.LOGIN_FAILURE_LIMIT)

    response = api_client.post(
        URL, {"email": "CASEY@example.com", "password": TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 429
    assert user.is_active


@pytest.mark.django_db
def test_another_email_from_the_same_client_is_not_affected(api_client):
    locked, other = UserFactory.create(), UserFactory.create()
    _fail(api_client, locked.email, settings.LOGIN_FAILURE_LIMIT + 2)

    good = {"email": other.email, "password": TEST_PASSWORD}

    assert api_client.post(URL, good, format="json").status_code == 200
    assert _fail(api_client, other.email, 1) == [401]


@pytest.mark.django_db
def test_fewer_failures_than_the_limit_do_not_block_the_right_password(api_client):
    user = UserFactory.create()
    _fail(api_client, user.email, settings.LOGIN_FAILURE_LIMIT - 1)

    response = api_client.post(URL, {"email": user.email, "password": TEST_PASSWORD}, format="json")

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_successful_login_starts_the_count_again(api_client):
    user = UserFactory.create()
    good = {"email": user.email, "password": TEST_PASSWORD}
    _fail(api_client, user.email, settings.LOGIN_FAILURE_LIMIT - 1)
    assert api_client.post(URL, good, format="json").status_code == 200

    _fail(api_client, user.email, settings.LOGIN_FAILURE_LIMIT - 1)

    assert api_client.post(URL, good, format="json").status_code == 200


@pytest.mark.django_db
def test_failures_for_emails_without_an_account_are_throttled_too(api_client):
    statuses = _fail(api_client, "ghost@example.com", settings.LOGIN_FAILURE_LIMIT + 1)

    assert statuses == [401] * 10 + [429]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_cannot_exceed_the_limit_together():
    user = UserFactory.create()
    racers = settings.LOGIN_FAILURE_LIMIT * 2
    body = {"email": user.email, "password": "wrong-password"}

    responses = run_at_once([lambda: APIClient().post(URL, body, format="json")] * racers)
    statuses = [response.status_code for response in returned(responses)]

    assert statuses.count(401) == settings.LOGIN_FAILURE_LIMIT
    assert statuses.count(429) == racers - settings.LOGIN_FAILURE_LIMIT
