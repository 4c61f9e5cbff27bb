"""`/metrics`: only for the scraper (a bearer token, an address allow-list, or both; off when
neither is set), outside the API schema, and reporting the worker's backlog from the database."""

import ipaddress
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.outbox import webhook_event_record

TOKEN = "a-scrapers-token-0123456789"


def networks(*items: str) -> list:
    return [ipaddress.ip_network(item) for item in items]


def scrape(client: Client, **headers: str) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_ADDRESSES = []


def test_metrics_are_off_until_a_token_or_an_allow_list_is_set(settings, client):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = []

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.django_db
def test_the_scraper_needs_the_bearer_token(token, client):
    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert right.status_code == 200
    assert right["Content-Type"].startswith("text/plain; version=")
    assert b"expert_support_websocket_open_sockets" in right.content
    assert TOKEN.encode() not in right.content


@pytest.mark.django_db
def test_an_allow_list_admits_only_its_addresses(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = networks("10.0.0.0/8", "::1/128")

    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.1").get("/metrics").status_code == 403


@pytest.mark.django_db
def test_with_both_set_the_scraper_needs_both(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_ADDRESSES = networks("10.0.0.0/8")
    bearer = {"Authorization": f"Bearer {TOKEN}"}

    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics", headers=bearer).status_code == 200
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 401
    assert Client(REMOTE_ADDR="192.0.2.1").get("/metrics", headers=bearer).status_code == 403


def test_only_get_and_head_are_answered(token, client):
    assert client.post("/metrics").status_code == 405


@pytest.mark.django_db
def test_metrics_are_not_part_of_the_api_schema(client):
    schema = client.get("/api/schema/", headers={"Accept": "application/json"}).json()

    assert not [path for path in schema["paths"] if "metrics" in path or "healthz" in path]


@pytest.mark.django_db
def test_plain_http_is_not_redirected_to_https_for_the_scraper(token, settings, client):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_workers_backlog_is_read_from_the_database_at_each_scrape(token, client):
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/x", events=["message.created"], secret="s" * 24
    )
    webhook_event_record(event="message.created", ordering_key="r-1", data=lambda: {"n": 1})
    webhook_event_record(event="message.created", ordering_key="r-2", data=lambda: {"n": 2})
    WebhookDelivery.objects.update(run_after=timezone.now() - timedelta(seconds=90))

    samples = scrape(client)

    job = (("worker_job", "webhooks"),)
    assert samples[("expert_support_worker_pending_items", job)] == 2
    assert 89 < samples[("expert_support_worker_oldest_due_seconds", job)] < 100

    WebhookDelivery.objects.update(status="DONE")
    samples = scrape(client)
    assert samples[("expert_support_worker_pending_items", job)] == 0
    assert samples[("expert_support_worker_oldest_due_seconds", job)] == 0
