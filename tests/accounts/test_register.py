import pytest

from accounts.models import Role, User
from tests.factories import UserFactory
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db

URL = "/api/auth/register/"
GOOD = {"email": "Ada@Example.com", "password": "Correct-Horse-Battery-9", "name": "Ada Lovelace"}


def test_registration_creates_a_customer_and_returns_working_tokens(api_client):
    response = api_client.post(URL, GOOD, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["name"] == "Ada Lovelace"
    assert body["user"]["role"] == "USER"
    assert body["user"]["expert"] is None
    assert body["access"]
    assert body["refresh"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get("/api/me/").json()["id"] == body["user"]["id"]


def test_role_cannot_be_self_assigned_at_registration(api_client):
    for role in ("EXPERT", "ADMIN"):
        data = {**GOOD, "email": f"{role.lower()}@example.com", "role": role, "is_staff": True}
        response = api_client.post(URL, data, format="json")

        assert response.status_code == 201
        user = User.objects.get(email=data["email"])
        assert user.role == Role.USER
        assert not user.is_staff
        assert response.json()["user"]["role"] == "USER"


def test_email_is_stored_lower_case(api_client):
    api_client.post(URL, GOOD, format="json")

    assert User.objects.filter(email="ada@example.com").exists()


def test_duplicate_email_in_any_casing_is_a_field_error(api_client):
    UserFactory.create(email="ada@example.com")

    response = api_client.post(URL, {**GOOD, "email": "ADA@EXAMPLE.COM"}, format="json")

    assert response.status_code == 400
    assert "email" in response.json()
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "12345678901", "adalovelace"],
    ids=["too-short", "common", "numeric", "similar-to-name"],
)
def test_weak_password_is_rejected_with_a_password_field_error(api_client, password):
    response = api_client.post(URL, {**GOOD, "password": password}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "password",
    [" " * 8, "\t\n \u3000\u00a0 \r\n", "  x  y    z  q  "],
    ids=["eight-spaces", "other-whitespace", "mostly-whitespace"],
)
def test_a_blank_or_mostly_whitespace_password_is_rejected(api_client, password):
    response = api_client.post(URL, {**GOOD, "password": password}, format="json")

    assert response.status_code == 400
    (message,) = response.json()["password"]
    assert "at most half of its characters may be whitespace" in message
    assert not User.objects.exists()


def test_a_passphrase_with_spaces_is_accepted(api_client):
    response = api_client.post(
        URL, {**GOOD, "password": "correct horse battery staple"}, format="json"
    )

    assert response.status_code == 201


def test_password_similar_to_the_email_is_rejected(api_client):
    data = {**GOOD, "email": "quixotic.zebra@example.com", "password": "quixoticzebra"}

    response = api_client.post(URL, data, format="json")

    assert response.status_code == 400
    assert "password" in response.json()


@pytest.mark.parametrize("email", ["not-an-email", "", "a@b"])
def test_invalid_email_is_a_field_error(api_client, email):
    response = api_client.post(URL, {**GOOD, "email": email}, format="json")

    assert response.status_code == 400
    assert "email" in response.json()


@pytest.mark.parametrize("name", ["", "   ", "x" * 151])
def test_name_must_be_1_to_150_characters(api_client, name):
    response = api_client.post(URL, {**GOOD, "name": name}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()


def test_missing_fields_are_each_reported(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"email", "password", "name"}


def test_registration_ignores_a_bearer_token_of_someone_else(api_client):
    client = client_for(UserFactory.create())

    assert client.post(URL, GOOD, format="json").status_code == 201
