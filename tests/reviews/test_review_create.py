import uuid
from decimal import Decimal

import pytest

from reviews.models import Review
from support.models import ExpertProfile, RequestStatus, SupportRequest
from tests.factories import (
    ActiveRequestFactory,
    AdminFactory,
    ExpertFactory,
    SupportRequestFactory,
    UserFactory,
)
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db


def _review_url(request_id) -> str:
    return f"/api/requests/{request_id}/review/"


@pytest.fixture
def closed() -> SupportRequest:
    return ActiveRequestFactory.create(status=RequestStatus.CLOSED)


def test_requester_reviews_a_closed_request(closed):
    response = client_for(closed.requester).post(
        _review_url(closed.pk), {"rating": 4, "comment": "Sorted it quickly."}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["request_id"] == str(closed.pk)
    assert body["expert_id"] == str(closed.expert_id)
    assert body["rating"] == 4
    assert body["comment"] == "Sorted it quickly."
    assert body["reviewer"] == {"id": str(closed.requester.pk), "name": closed.requester.name}
    assert set(body) == {
        "id",
        "request_id",
        "expert_id",
        "rating",
        "comment",
        "reviewer",
        "created_at",
    }
    profile = ExpertProfile.objects.get(user=closed.expert)
    assert (profile.rating_sum, profile.rating_count, profile.rating_avg) == (4, 1, Decimal(4))


def test_comment_is_optional(closed):
    response = client_for(closed.requester).post(
        _review_url(closed.pk), {"rating": 5}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["comment"] == ""


def test_average_is_exact_to_two_places():
    expert = ExpertFactory.create()
    for rating in (5, 4, 4):
        closed = ActiveRequestFactory.create(expert=expert, status=RequestStatus.CLOSED)
        client_for(closed.requester).post(_review_url(closed.pk), {"rating": rating}, format="json")
    profile = ExpertProfile.objects.get(user=expert)
    assert (profile.rating_sum, profile.rating_count, profile.rating_avg) == (
        13,
        3,
        Decimal("4.33"),
    )


def test_second_review_of_the_same_request_is_a_conflict(closed):
    client = client_for(closed.requester)
    assert client.post(_review_url(closed.pk), {"rating": 5}, format="json").status_code == 201
    assert client.post(_review_url(closed.pk), {"rating": 1}, format="json").status_code == 409
    profile = ExpertProfile.objects.get(user=closed.expert)
    assert (profile.rating_count, profile.rating_avg) == (1, Decimal(5))


def test_reviewing_an_active_request_is_a_conflict():
    active = ActiveRequestFactory.create()
    response = client_for(active.requester).post(
        _review_url(active.pk), {"rating": 5}, format="json"
    )
    assert response.status_code == 409


@pytest.mark.parametrize("status", [RequestStatus.REQUESTED, RequestStatus.CANCELLED])
def test_reviewing_a_request_that_never_had_an_expert_is_a_conflict(status):
    waiting = SupportRequestFactory.create(status=status)
    response = client_for(waiting.requester).post(
        _review_url(waiting.pk), {"rating": 5}, format="json"
    )
    assert response.status_code == 409
    assert Review.objects.count() == 0


@pytest.mark.parametrize("who", ["expert", "staff"])
def test_others_who_can_see_the_request_may_not_review_it(closed, who):
    caller = closed.expert if who == "expert" else AdminFactory.create()
    response = client_for(caller).post(_review_url(closed.pk), {"rating": 5}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("outsider", [UserFactory, ExpertFactory])
def test_outsiders_get_404(closed: SupportRequest, outsider: type[UserFactory]) -> None:
    response = client_for(outsider.create()).post(
        _review_url(closed.pk), {"rating": 5}, format="json"
    )
    assert response.status_code == 404


def test_unknown_request_is_404(user_client):
    response = user_client.post(_review_url(uuid.uuid4()), {"rating": 5}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("rating", [0, 6, -1, 4.5, "5", True, None])
def test_rating_must_be_an_integer_from_1_to_5(closed, rating):
    response = client_for(closed.requester).post(
        _review_url(closed.pk), {"rating": rating}, format="json"
    )
    assert response.status_code == 400
    assert "rating" in response.json()
    assert Review.objects.count() == 0


def test_comment_longer_than_2000_characters_is_refused(closed):
    response = client_for(closed.requester).post(
        _review_url(closed.pk), {"rating": 5, "comment": "x" * 2001}, format="json"
    )
    assert response.status_code == 400
    assert "comment" in response.json()
