"""The published OpenAPI schema tells the truth (and the suite holds every answer to it)."""

import json

import pytest
from django.test import Client
from openapi_core.exceptions import OpenAPIError
from openapi_spec_validator import validate

from tests.factories import UserFactory
from tests.helpers.api import client_for
from tests.helpers.openapi import check_against_schema


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(Client().get("/api/schema/", HTTP_ACCEPT="application/json").content)


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_schema_is_valid_openapi_3_1(schema):
    validate(schema)
    assert schema["openapi"] == "3.1.0"


def test_every_operation_documents_its_error_answers_with_their_body(schema):
    for path, method, operation in operations(schema):
        errors = {code: answer for code, answer in operation["responses"].items() if code >= "4"}
        assert errors, (method, path)
        for code, answer in errors.items():
            assert "application/json" in answer["content"], (method, path, code)


@pytest.mark.parametrize(
    "path",
    [
        "/api/requests/",
        "/api/requests/queue/",
        "/api/experts/",
        "/api/experts/{expert_id}/reviews/",
        "/api/skills/",
        "/api/requests/{request_id}/timeline/",
    ],
)
def test_lists_are_documented_as_pages(schema, path):
    operation = schema["paths"][path]["get"]
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][page.rsplit("/", 1)[1]]

    assert {"count", "next", "previous", "results"} <= set(component["properties"])
    assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}


def test_what_can_be_null_is_nullable(schema):
    request = schema["components"]["schemas"]["SupportRequest"]["properties"]

    assert "null" in request["skill"]["type"]
    assert {"type": "null"} in request["expert"]["oneOf"]


def test_a_repeated_client_id_answer_is_documented(schema):
    answers = schema["paths"]["/api/requests/{request_id}/messages/"]["post"]["responses"]

    assert {"200", "201", "409"} <= set(answers)


def test_a_transfer_documents_each_refusal(schema):
    answers = schema["paths"]["/api/requests/{request_id}/transfer/"]["post"]["responses"]

    assert {"200", "400", "401", "403", "404", "409"} <= set(answers)


@pytest.mark.django_db
def test_an_answer_the_schema_does_not_give_is_caught():
    response = client_for(UserFactory.create()).get("/api/me/")
    response.status_code = 418

    with pytest.raises(OpenAPIError):
        check_against_schema(response)


def test_each_webhook_event_is_documented_with_its_payload(schema):
    webhooks = schema["webhooks"]
    assert set(webhooks) == {
        "request.created",
        "request.updated",
        "message.created",
        "review.created",
    }
    review = webhooks["review.created"]["post"]
    body = review["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    envelope = schema["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert set(envelope["required"]) == {"id", "event", "created_at", "data"}
    assert envelope["properties"]["event"]["enum"] == ["review.created"]
    assert list(review["responses"]) == ["200"]  # the receiver's answer, no API errors
    assert "X-Expert-Support-Signature" in review["description"]
