import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_when_database_and_channel_layer_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("status", "database", "channel_layer")} == {
        "status": "ok",
        "database": "ok",
        "channel_layer": "ok",
    }


def test_the_openapi_schema_describes_the_accounts_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in [
        "/api/auth/register/",
        "/api/auth/login/",
        "/api/auth/refresh/",
        "/api/auth/logout/",
        "/api/me/",
        "/api/skills/",
        "/api/experts/",
        "/api/experts/{expert_id}/",
        "/api/admin/experts/",
    ]:
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"]["/api/experts/"]["get"]["parameters"]}
    assert {"skill", "online", "available", "search", "page"} <= params


def test_swagger_ui_is_served(client):
    assert client.get("/api/docs/").status_code == 200
