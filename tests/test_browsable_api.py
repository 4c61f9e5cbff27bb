"""The browsable API, as a person in a browser sees it: every endpoint renders for every role
that may call it (and refuses the others with a page, never a 5xx), with sign-in and sign-out
links and readable page names."""

import re
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from accounts.models import User
from chat.attachments.services import attachment_upload
from integrations.models import WebhookEndpoint
from tests.factories import (
    ActiveRequestFactory,
    AdminFactory,
    ExpertFactory,
    ReviewFactory,
    UserFactory,
)
from tests.helpers.attachments import PNG

pytestmark = pytest.mark.django_db

# Machine-readable documents to download, not pages.
DOCUMENTS = {"api/schema/", "api/asyncapi.json", "api/asyncapi.yaml"}
# Files to download for those who may (a page for the others).
FILES = {"api/attachments/<uuid:attachment_id>/download/"}


def api_routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    """Every DRF endpoint of the URLconf, as a route with <converters>."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from api_routes(pattern.url_patterns, route)
        else:
            view_class = getattr(pattern.callback, "cls", None)
            if isinstance(view_class, type) and issubclass(view_class, APIView):
                yield route


@pytest.fixture
def world() -> dict[str, User | str]:
    request = ActiveRequestFactory.create()
    assert request.expert is not None
    ReviewFactory.create(expert=request.expert)
    attachment = attachment_upload(
        request_id=request.pk,
        uploader=request.requester,
        file=SimpleUploadedFile("shot.png", PNG),
    )
    return {
        "attachment_id": str(attachment.pk),
        "customer": request.requester,
        "expert": request.expert,
        "staff": AdminFactory.create(),
        "request_id": str(request.pk),
        "expert_id": str(request.expert.pk),
        "endpoint_id": str(
            WebhookEndpoint.objects.create(url="https://example.com/", events=["review.created"]).pk
        ),
    }


def browser(user: User | None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def test_the_url_walk_finds_the_endpoints():
    routes = set(api_routes(get_resolver().url_patterns))
    assert "api/requests/<uuid:request_id>/messages/" in routes
    assert len(routes) >= 20


@pytest.mark.parametrize("role", ["anonymous", "customer", "expert", "staff"])
def test_every_endpoint_renders_for_every_role_without_a_server_error(world, role):
    user = world.get(role)
    client = browser(user if isinstance(user, User) else None)
    for route in api_routes(get_resolver().url_patterns):
        path = "/" + re.sub(r"<\w+:(\w+)>", lambda m: str(world[m.group(1)]), route)
        response = client.get(path, HTTP_ACCEPT="text/html")

        assert response.status_code < 500, (role, path, response.status_code)
        if route in FILES and response.status_code == 200:
            assert response["Content-Type"] == "image/png", (role, path)
        elif route not in DOCUMENTS:
            assert response["Content-Type"].startswith("text/html"), (role, path)


def test_an_anonymous_visitor_is_offered_the_sign_in_page():
    page = browser(None).get("/api/requests/", HTTP_ACCEPT="text/html").content.decode()

    assert "href='/api/auth/session/login/?next=/api/requests/'>Log in" in page


@pytest.mark.parametrize("factory", [UserFactory, ExpertFactory, AdminFactory])
def test_every_role_signs_in_through_the_session_login_and_out_again(factory):
    user = factory.create()
    client = Client()
    sign_in = client.get("/api/auth/session/login/")
    assert sign_in.status_code == 200

    response = client.post(
        "/api/auth/session/login/?next=/api/me/",
        {"username": user.email, "password": "Correct-Horse-Battery-9", "next": "/api/me/"},
    )
    assert response.status_code == 302
    page = client.get("/api/me/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert user.email in page.content.decode()
    assert "/api/auth/session/logout/" in page.content.decode()

    client.post("/api/auth/session/logout/")
    assert client.get("/api/me/", HTTP_ACCEPT="text/html").status_code in (401, 403)


def test_pages_have_readable_names():
    client = browser(UserFactory.create())

    page = client.get("/api/requests/", HTTP_ACCEPT="text/html").content.decode()

    assert "<title>Requests" in page
    assert "Api</title>" not in page


@pytest.mark.parametrize("path", ["/", "/api/"])
def test_the_site_and_the_api_roots_show_an_index(path):
    response = Client().get(path, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    links = response.json()["links"]
    assert links["docs"].endswith("/api/docs/")
    assert links["console"].endswith("/console/")
    assert links["session_login"].endswith("/api/auth/session/login/")
