"""Swagger UI and ReDoc work with no internet: every asset comes from the project itself."""

import re

import pytest
from django.test import Client


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_only_the_projects_own_assets(path):
    client = Client()
    page = client.get(path).content.decode()

    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets, page
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, asset


def test_the_schema_the_docs_read_is_served():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")
