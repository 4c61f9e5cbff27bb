"""Under /api/ every error is JSON shaped like the rest: `{"detail", "code"}` or field errors."""

import json

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body["detail"], str)
    assert isinstance(body["code"], str)
    return body


@pytest.mark.parametrize(
    "path",
    ["/api/nope/", "/api/requests/not-a-uuid/", "/api/requests/1/messages/", "/api/experts/x/"],
)
def test_an_unknown_path_or_a_malformed_id_is_a_json_404(path):
    response = Client().get(path)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_post_without_its_trailing_slash_is_redirected_with_its_method_and_body():
    response = Client().post("/api/auth/login", {"email": "a@example.com"}, "application/json")

    assert response.status_code == 308
    assert response["Location"] == "/api/auth/login/"


def test_a_get_without_its_trailing_slash_is_redirected():
    response = Client().get("/api/skills")

    assert response.status_code in (301, 308)
    assert response["Location"] == "/api/skills/"


def test_a_wrong_method_is_a_json_405():
    response = client_for(UserFactory.create()).delete("/api/me/")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_body_that_is_not_json_is_a_json_415():
    response = Client().post("/api/auth/login/", "email=x", content_type="text/csv")

    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_malformed_json_is_a_json_400():
    response = Client().post("/api/auth/login/", "{", content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.parametrize(
    "body",
    ["[" * 60000 + "]" * 60000, '{"a":' * 20000 + "1" + "}" * 20000],
    ids=["nested-arrays", "nested-objects"],
)
def test_json_nested_too_deeply_to_parse_is_a_json_400(body):
    response = Client().post("/api/auth/login/", body, content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_a_body_over_the_upload_limit_is_a_json_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"email": "a@example.com", "password": "x" * 2000})

    response = Client().post("/api/auth/login/", body, content_type="application/json")

    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_errors_name_their_code_as_the_socket_does():
    user = UserFactory.create()

    forbidden = client_for(user).get("/api/requests/queue/")
    unauthenticated = Client().get("/api/me/")

    assert forbidden.status_code == 403
    assert error_of(forbidden)["code"] == "access_denied"
    assert unauthenticated.status_code == 401
    assert error_of(unauthenticated)["code"] == "not_authenticated"


def test_field_errors_keep_their_shape():
    response = Client().post("/api/auth/register/", {}, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"email", "password", "name"}


def test_an_unexpected_failure_under_api_is_a_json_500(settings, monkeypatch):
    from config import http

    def broken(request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(http.ApiIndexApi, "get", broken)
    settings.DEBUG = False

    response = Client(raise_request_exception=False).get("/api/")

    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"


def test_pages_outside_the_api_keep_django_error_pages():
    response = Client().get("/nope/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("method", ["get", "head"])
def test_the_health_check_answers_get_and_head(method):
    assert getattr(Client(), method)("/healthz").status_code == 200
