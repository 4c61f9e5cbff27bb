"""Staff manage webhook endpoints over REST: admin/webhooks/ and admin/webhooks/{id}/."""

import pytest
from django.urls import reverse

from integrations.models import WebhookEndpoint
from tests.factories import AdminFactory, ExpertFactory, UserFactory
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db

LIST = "/api/admin/webhooks/"


@pytest.fixture
def staff():
    return client_for(AdminFactory.create())


@pytest.fixture
def private_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True


def detail(endpoint_id) -> str:
    return reverse("webhook-detail", kwargs={"endpoint_id": endpoint_id})


def test_staff_add_an_endpoint_and_see_its_generated_secret_once(staff, private_allowed):
    response = staff.post(
        LIST,
        {"url": "http://127.0.0.1:9/hooks", "events": ["request.created", "message.created"]},
        format="json",
    )

    assert response.status_code == 201, response.data
    body = response.json()
    stored = WebhookEndpoint.objects.get()
    assert body["secret"] == stored.secret
    assert len(stored.secret) >= 32
    assert body["events"] == ["request.created", "message.created"]
    assert body["is_active"] is True
    # Never again: not in the list, not in the detail, not after an update.
    assert "secret" not in staff.get(LIST).json()["results"][0]
    assert "secret" not in staff.get(detail(stored.pk)).json()
    patched = staff.patch(detail(stored.pk), {"is_active": False}, format="json")
    assert patched.status_code == 200
    assert "secret" not in patched.json()


def test_a_given_secret_is_kept_and_a_new_one_rotates_it(staff, private_allowed):
    created = staff.post(
        LIST,
        {"url": "http://127.0.0.1:9/", "events": ["review.created"], "secret": "s" * 20},
        format="json",
    ).json()
    assert created["secret"] == "s" * 20

    staff.patch(detail(created["id"]), {"url": "http://127.0.0.1:10/"}, format="json")
    assert WebhookEndpoint.objects.get().secret == "s" * 20
    staff.patch(detail(created["id"]), {"secret": "t" * 20}, format="json")
    assert WebhookEndpoint.objects.get().secret == "t" * 20


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/hooks", "events": ["request.created"]}, "url"),
        ({"url": "javascript:alert(1)", "events": ["request.created"]}, "url"),
        ({"url": "http://user:pw@example.com/", "events": ["request.created"]}, "url"),
        ({"url": "http://does-not-exist.invalid/", "events": ["request.created"]}, "url"),
        ({"url": "http://127.0.0.1:8000/", "events": ["request.created"]}, "url"),
        ({"url": "http://localhost/", "events": ["request.created"]}, "url"),
        ({"url": "http://10.0.0.7/", "events": ["request.created"]}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/", "events": ["request.created"]}, "url"),
        ({"url": "http://[::1]/", "events": ["request.created"]}, "url"),
        ({"url": "http://[::ffff:127.0.0.1]/", "events": ["request.created"]}, "url"),
        ({"url": "https://example.com/", "events": ["request.exploded"]}, "events"),
        ({"url": "https://example.com/", "events": []}, "events"),
        ({"url": "https://example.com/", "events": "request.created"}, "events"),
        ({"url": "https://example.com/"}, "events"),
        (
            {"url": "https://example.com/", "events": ["review.created"], "secret": "short"},
            "secret",
        ),
    ],
)
def test_bad_endpoints_are_refused_and_nothing_is_stored(staff, body, field):
    response = staff.post(LIST, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not WebhookEndpoint.objects.exists()


def test_private_addresses_are_allowed_only_when_configured(staff, settings):
    body = {"url": "http://127.0.0.1:9/", "events": ["request.created"]}
    assert staff.post(LIST, body, format="json").status_code == 400
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert staff.post(LIST, body, format="json").status_code == 201


def test_an_update_is_checked_like_a_creation(staff, private_allowed, settings):
    endpoint = staff.post(
        LIST, {"url": "http://127.0.0.1:9/", "events": ["request.created"]}, format="json"
    ).json()
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = staff.put(
        detail(endpoint["id"]), {"url": "http://10.1.2.3/", "events": ["x"]}, format="json"
    )
    assert response.status_code == 400
    assert WebhookEndpoint.objects.get().url == "http://127.0.0.1:9/"


def test_staff_delete_an_endpoint(staff, private_allowed):
    endpoint = staff.post(
        LIST, {"url": "http://127.0.0.1:9/", "events": ["request.created"]}, format="json"
    ).json()
    assert staff.delete(detail(endpoint["id"])).status_code == 204
    assert staff.get(detail(endpoint["id"])).status_code == 404


@pytest.mark.parametrize("make_user", [UserFactory.create, ExpertFactory.create])
def test_only_staff_manage_webhooks(make_user):
    client = client_for(make_user())
    assert client.get(LIST).status_code == 403
    body = {"url": "https://example.com/", "events": ["request.created"]}
    assert client.post(LIST, body, format="json").status_code == 403
