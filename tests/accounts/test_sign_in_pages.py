"""The sign-in pages (the browsable API's session login and /admin/) count against the same
per-email failure limit as the API's login: no door is left without it."""

import pytest
from django.test import Client

from tests.factories import TEST_PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["/api/auth/session/login/", "/admin/login/"]


def sign_in(client: Client, page: str, email: str, password: str):
    return client.post(page, {"username": email, "password": password})


@pytest.mark.parametrize("page", PAGES)
def test_after_the_limit_even_the_right_password_is_refused_with_a_clear_message(page, settings):
    staff = AdminFactory.create()
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert sign_in(client, page, staff.email, "wrong").status_code == 200  # form again

    refused = sign_in(client, page, staff.email, TEST_PASSWORD)

    assert refused.status_code == 200
    assert "Too many failed logins for this email" in refused.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("page", PAGES)
def test_the_right_password_signs_in_below_the_limit(page):
    staff = AdminFactory.create()
    client = Client()
    sign_in(client, page, staff.email, "wrong")

    assert sign_in(client, page, staff.email, TEST_PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_the_pages_and_the_api_share_one_count_per_email(settings):
    user = UserFactory.create()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(Client(), "/api/auth/session/login/", user.email, "wrong")

    response = Client().post(
        "/api/auth/login/", {"email": user.email, "password": TEST_PASSWORD}, "application/json"
    )

    assert response.status_code == 429
