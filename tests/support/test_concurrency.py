"""Races against real PostgreSQL row locks: many threads, released together by a barrier."""

from collections.abc import Callable
from functools import partial

import pytest
from django.db.models import Count
from rest_framework.response import Response

from core.errors import Conflict
from support.matching import expert_became_eligible, match_request
from support.models import RequestStatus, SupportRequest
from support.services import request_accept, request_assign
from tests.factories import AdminFactory, ExpertFactory, SupportRequestFactory
from tests.helpers.api import client_for
from tests.helpers.concurrency import returned, run_at_once
from tests.helpers.markers import requires_postgres
from tests.helpers.requests import online_expert, url

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _active_per_expert() -> dict:
    rows = (
        SupportRequest.objects.filter(status=RequestStatus.ACTIVE)
        .values("expert")
        .annotate(n=Count("id"))
    )
    return {row["expert"]: row["n"] for row in rows}


def test_twelve_experts_accepting_one_request_at_once_yield_exactly_one_winner():
    waiting = SupportRequestFactory.create()
    clients = [client_for(ExpertFactory.create()) for _ in range(12)]
    responses = returned(
        run_at_once([partial(c.post, url("request-accept", waiting.pk)) for c in clients])
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 11
    winner = next(r for r in responses if r.status_code == 200).json()["expert"]["id"]
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.ACTIVE
    assert str(waiting.expert_id) == winner


def test_expert_of_capacity_one_accepting_several_requests_at_once_gets_exactly_one():
    expert = ExpertFactory.create()
    requests = SupportRequestFactory.create_batch(8)
    calls: list[Callable[[], Response]] = []
    for request in requests:
        client = client_for(expert)
        calls.append(partial(client.post, url("request-accept", request.pk)))
    responses = returned(run_at_once(calls))
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    assert _active_per_expert() == {expert.pk: 1}


def test_accept_assign_and_matching_racing_for_one_expert_never_exceed_capacity():
    expert = online_expert(capacity=2)
    staff = AdminFactory.create()
    requests = SupportRequestFactory.create_batch(9)
    calls: list[Callable[[], object]] = []
    for index, request in enumerate(requests):
        if index % 3 == 0:
            calls.append(partial(request_accept, request_id=request.pk, expert=expert))
        elif index % 3 == 1:
            calls.append(
                partial(request_assign, request_id=request.pk, expert_id=expert.pk, staff=staff)
            )
        else:
            calls.append(partial(match_request, request_id=request.pk))
    calls += [lambda: expert_became_eligible(expert_id=expert.pk)] * 3
    results = run_at_once(calls)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    assert _active_per_expert() == {expert.pk: 2}


def test_concurrent_matching_runs_never_overfill_an_expert_or_double_assign():
    experts = [online_expert(capacity=2) for _ in range(4)]
    requests = SupportRequestFactory.create_batch(12)
    calls: list[Callable[[], object]] = [
        partial(expert_became_eligible, expert_id=e.pk) for e in experts * 2
    ]
    calls += [partial(match_request, request_id=r.pk) for r in requests]
    results = run_at_once(calls)

    assert not [r for r in results if isinstance(r, Exception)]
    per_expert = _active_per_expert()
    assert all(count <= 2 for count in per_expert.values())
    # Every match_request call either placed its request or found every expert full.
    assert sum(per_expert.values()) == 8
    # Whoever reported a request as assigned must agree with the database: a request handed to
    # two experts would show up here as a claim the final row contradicts.
    final = dict(
        SupportRequest.objects.filter(status=RequestStatus.ACTIVE).values_list("pk", "expert_id")
    )
    claims = [(r.pk, r.expert_id) for result in results if isinstance(result, list) for r in result]
    claims += [(r.pk, r.expert_id) for r in results if isinstance(r, SupportRequest)]
    assert claims
    assert all(final[pk] == expert_id for pk, expert_id in claims if expert_id)
