import uuid

import pytest

from tests.factories import ExpertFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_anyone_signed_in_lists_an_experts_reviews_newest_first(user_client):
    expert = ExpertFactory.create()
    older = ReviewFactory.create(request__expert=expert, rating=3, comment="ok")
    newer = ReviewFactory.create(request__expert=expert, rating=5)
    ReviewFactory.create()
    response = user_client.get(f"/api/experts/{expert.pk}/reviews/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [newer.pk, older.pk]
    assert body["results"][1]["comment"] == "ok"
    assert body["results"][1]["reviewer"]["id"] == str(older.reviewer.pk)


def test_reviews_are_paginated(user_client):
    expert = ExpertFactory.create()
    ReviewFactory.create_batch(3, request__expert=expert)
    body = user_client.get(f"/api/experts/{expert.pk}/reviews/", {"page_size": 2}).json()
    assert (body["count"], len(body["results"])) == (3, 2)


def test_unknown_or_non_expert_id_is_404(user_client):
    assert user_client.get(f"/api/experts/{uuid.uuid4()}/reviews/").status_code == 404
    assert user_client.get(f"/api/experts/{UserFactory.create().pk}/reviews/").status_code == 404
    assert user_client.get("/api/experts/nope/reviews/").status_code == 404


def test_listing_requires_sign_in(api_client):
    assert api_client.get(f"/api/experts/{ExpertFactory.create().pk}/reviews/").status_code == 401
