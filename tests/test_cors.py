"""Browser front-ends on other origins: CORS for the API, and the same origins on the socket."""

import pytest
from django.test import Client

from chat.middleware import origin_allowed

pytestmark = pytest.mark.django_db

FRONT_END = "http://localhost:3000"


@pytest.fixture
def front_end_allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONT_END]


def preflight(path: str, origin: str) -> dict[str, str]:
    response = Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert response.status_code == 200
    return dict(response.headers)


def test_an_allowed_origin_passes_the_preflight_of_an_authenticated_endpoint(front_end_allowed):
    headers = preflight("/api/requests/", FRONT_END)

    assert headers["access-control-allow-origin"] == FRONT_END
    assert "authorization" in headers["access-control-allow-headers"]
    assert "POST" in headers["access-control-allow-methods"]


def test_answers_to_an_allowed_origin_carry_the_cors_headers_even_when_refused(front_end_allowed):
    response = Client().get("/api/me/", HTTP_ORIGIN=FRONT_END)

    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == FRONT_END


def test_other_origins_get_no_cors_headers(front_end_allowed):
    headers = preflight("/api/requests/", "https://evil.example.com")

    assert "access-control-allow-origin" not in headers


def test_no_origin_is_allowed_unless_configured():
    assert "access-control-allow-origin" not in preflight("/api/requests/", FRONT_END)


def test_the_socket_accepts_the_allowed_origins_and_the_servers_own_hosts(front_end_allowed):
    assert origin_allowed(FRONT_END)
    assert origin_allowed("http://127.0.0.1:8000")
    assert not origin_allowed("https://evil.example.com")
    assert not origin_allowed("http://localhost.evil.example.com:3000")
