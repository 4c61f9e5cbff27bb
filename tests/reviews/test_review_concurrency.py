from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

import pytest
from rest_framework.response import Response

from core.errors import Conflict
from reviews.models import Review
from reviews.services import review_create
from support.models import ExpertProfile, RequestStatus
from tests.factories import ActiveRequestFactory, ExpertFactory
from tests.helpers.api import client_for
from tests.helpers.concurrency import returned, run_at_once
from tests.helpers.markers import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_reviews_of_one_expert_keep_count_and_average_exact():
    expert = ExpertFactory.create()
    ratings = [5, 4, 4, 3, 5, 1, 2, 5, 4, 3]
    closed = [
        ActiveRequestFactory.create(expert=expert, status=RequestStatus.CLOSED) for _ in ratings
    ]
    calls: list[Callable[[], Response]] = []
    for request, rating in zip(closed, ratings, strict=True):
        client = client_for(request.requester)
        calls.append(
            partial(
                client.post,
                f"/api/requests/{request.pk}/review/",
                {"rating": rating},
                format="json",
            )
        )
    responses = run_at_once(calls)

    assert [r.status_code for r in returned(responses)] == [201] * len(ratings)
    profile = ExpertProfile.objects.get(user=expert)
    expected = (Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert (profile.rating_sum, profile.rating_count) == (sum(ratings), len(ratings))
    assert profile.rating_avg == expected


def test_the_same_review_sent_twice_at_once_is_stored_once():
    closed = ActiveRequestFactory.create(status=RequestStatus.CLOSED)
    results = run_at_once(
        [
            lambda: review_create(request_id=closed.pk, reviewer=closed.requester, rating=5)
            for _ in range(6)
        ]
    )
    assert sum(isinstance(r, Review) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Review))
    profile = ExpertProfile.objects.get(user=closed.expert)
    assert (profile.rating_sum, profile.rating_count) == (5, 1)
