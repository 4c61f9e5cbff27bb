"""Sign-ups and failed sign-ins are also limited per client address (REGISTER_RATE,
LOGIN_IP_RATE), across emails: no password spraying, no mass account creation."""

import pytest
from django.test import Client

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def register(client: Client, n: int, address: str = "203.0.113.7"):
    return client.post(
        "/api/auth/register/",
        {"email": f"new{n}@example.com", "password": "a-long-passphrase-9", "name": "New"},
        "application/json",
        REMOTE_ADDR=address,
    )


def login(email: str, password: str, address: str = "203.0.113.7"):
    return Client().post(
        "/api/auth/login/",
        {"email": email, "password": password},
        "application/json",
        REMOTE_ADDR=address,
    )


def test_sign_ups_past_the_rate_are_refused_with_retry_after(settings):
    settings.REGISTER_RATE = (3, 3600)
    client = Client()

    statuses = [register(client, n).status_code for n in range(4)]

    assert statuses == [201, 201, 201, 429]
    refused = register(client, 9)
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "rate_limited"
    assert register(client, 10, address="198.51.100.1").status_code == 201


def test_failed_sign_ins_from_one_address_are_limited_whatever_the_emails(settings):
    settings.LOGIN_IP_RATE = (5, 60)
    victims = [UserFactory.create() for _ in range(6)]

    sprayed = [login(user.email, "guess-123").status_code for user in victims[:5]]

    assert sprayed == [401] * 5
    assert login(victims[5].email, TEST_PASSWORD).status_code == 429
    assert login(victims[5].email, TEST_PASSWORD, address="198.51.100.1").status_code == 200


def test_successful_sign_ins_from_one_address_are_never_limited(settings):
    settings.LOGIN_IP_RATE = (3, 60)
    users = [UserFactory.create() for _ in range(6)]

    assert [login(user.email, TEST_PASSWORD).status_code for user in users] == [200] * 6
