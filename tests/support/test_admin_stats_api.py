import pytest
from django.utils import timezone

from chat.services import message_post
from reviews.services import review_create
from tests.factories import (
    ActiveRequestFactory,
    ExpertFactory,
    SupportRequestFactory,
)
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db

STATS = "/api/admin/stats/"


def test_stats_count_people_requests_messages_and_ratings(admin_client, user):
    ExpertFactory.create(is_online=True)
    ExpertFactory.create(is_online=False)
    SupportRequestFactory.create(requester=user)
    SupportRequestFactory.create(requester=user, status="CANCELLED")
    active = ActiveRequestFactory.create(requester=user)
    message_post(request_id=active.pk, sender=user, content="Hello")
    message_post(request_id=active.pk, sender=user, content="Anyone there?")
    for rating in (5, 4, 4):
        closed = ActiveRequestFactory.create(status="CLOSED", closed_at=timezone.now())
        review_create(request_id=closed.pk, reviewer=closed.requester, rating=rating)

    response = admin_client.get(STATS)

    assert response.status_code == 200
    body = response.json()
    # The active request brings its own expert; each review its own requester and expert.
    assert body["users"] == 1 + 3
    assert body["experts"] == 2 + 1 + 3
    assert body["experts_online"] == 1
    assert body["requests"] == {"REQUESTED": 1, "ACTIVE": 1, "CLOSED": 3, "CANCELLED": 1}
    assert body["messages"] == 2
    assert body["average_rating"] == "4.33"


def test_average_rating_is_null_without_reviews(admin_client):
    body = admin_client.get(STATS).json()
    assert body["average_rating"] is None
    assert body["requests"] == {"REQUESTED": 0, "ACTIVE": 0, "CLOSED": 0, "CANCELLED": 0}


@pytest.mark.parametrize("role", ["user", "expert"])
def test_only_staff_see_stats(request, role):
    assert client_for(request.getfixturevalue(role)).get(STATS).status_code == 403
