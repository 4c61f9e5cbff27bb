"""Transfers racing accepts, closes and other transfers, against real PostgreSQL row locks:
threads released together, each with its own connection. Whatever the interleaving, exactly one
consistent outcome, and nobody over capacity."""

from collections.abc import Callable
from functools import partial

import pytest
from django.db.models import Count

from core.errors import Conflict, DomainError, NotFound
from support.models import RequestEvent, RequestStatus, SupportRequest
from support.services import request_accept, request_close, request_transfer
from tests.factories import ActiveRequestFactory, AdminFactory, ExpertFactory, SupportRequestFactory
from tests.helpers.concurrency import run_at_once
from tests.helpers.markers import requires_postgres
from tests.helpers.requests import assigned_expert

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5


def _outcomes(results: list) -> tuple[list, list]:
    """(what succeeded, what was refused); fails on anything else (a deadlock, a 500)."""
    unexpected = [
        r
        for r in results
        if r is None or (isinstance(r, Exception) and not isinstance(r, DomainError))
    ]
    assert not unexpected, unexpected
    won = [r for r in results if not isinstance(r, Exception)]
    return won, [r for r in results if isinstance(r, DomainError)]


def _active_per_expert() -> dict:
    rows = SupportRequest.objects.filter(status=RequestStatus.ACTIVE).values("expert")
    return {row["expert"]: row["n"] for row in rows.annotate(n=Count("id"))}


def test_an_expert_handing_one_request_to_several_colleagues_at_once_hands_it_once():
    for _ in range(ROUNDS):
        active = ActiveRequestFactory.create()
        expert = assigned_expert(active)
        targets = ExpertFactory.create_batch(6)
        calls: list[Callable[[], object]] = [
            partial(request_transfer, request_id=active.pk, actor=expert, expert_id=t.pk)
            for t in targets
        ]
        won, refused = _outcomes(run_at_once(calls))

        # The losers read it before the winner committed (409), or after: no longer theirs (404).
        assert len(won) == 1
        assert all(isinstance(r, Conflict | NotFound) for r in refused)
        active.refresh_from_db()
        assert active.expert_id == won[0].expert_id
        assert RequestEvent.objects.filter(request=active, event="transferred").count() == 1


def test_staff_transferring_one_request_at_once_leave_a_chain_the_timeline_tells():
    staff = AdminFactory.create()
    for _ in range(ROUNDS):
        active = ActiveRequestFactory.create()
        first = assigned_expert(active)
        targets = ExpertFactory.create_batch(6)
        calls: list[Callable[[], object]] = [
            partial(request_transfer, request_id=active.pk, actor=staff, expert_id=t.pk)
            for t in targets
        ]
        won, refused = _outcomes(run_at_once(calls))

        # A transfer that read the request after another committed moves it on from there, as
        # if made a moment later; one that read it before finds it changed (409). Either way
        # each move starts where the one before it ended.
        assert won
        assert all(isinstance(r, Conflict) for r in refused)
        moves = RequestEvent.objects.filter(request=active, event="transferred").order_by("id")
        chain = [str(first.pk)]
        for move in moves:
            assert move.detail["from"]["id"] == chain[-1]
            chain.append(move.detail["to"]["id"])
        active.refresh_from_db()
        assert (len(moves), str(active.expert_id)) == (len(won), chain[-1])


def test_transfers_to_one_expert_and_their_accepts_never_exceed_their_capacity():
    staff = AdminFactory.create()
    target = ExpertFactory.create(profile__max_active_requests=2)
    actives = ActiveRequestFactory.create_batch(4)
    waiting = SupportRequestFactory.create_batch(4)
    calls: list[Callable[[], object]] = [
        partial(request_transfer, request_id=a.pk, actor=staff, expert_id=target.pk)
        for a in actives
    ]
    calls += [partial(request_accept, request_id=w.pk, expert=target) for w in waiting]
    won, refused = _outcomes(run_at_once(calls))

    assert len(won) == 2
    assert all(isinstance(r, Conflict) for r in refused)
    assert _active_per_expert()[target.pk] == 2


def test_a_transfer_racing_a_close_by_the_expert_it_takes_the_request_from():
    staff = AdminFactory.create()
    seen = set()
    for _ in range(ROUNDS * 2):
        active = ActiveRequestFactory.create()
        previous, target = assigned_expert(active), ExpertFactory.create()
        calls: list[Callable[[], object]] = [
            partial(request_transfer, request_id=active.pk, actor=staff, expert_id=target.pk),
            partial(request_close, request_id=active.pk, actor=previous),
        ]
        won, refused = _outcomes(run_at_once(calls))

        assert len(won) == 1
        active.refresh_from_db()
        if won[0].status == RequestStatus.CLOSED:
            # Closed first: the transfer finds it no longer active.
            assert (active.status, active.expert) == (RequestStatus.CLOSED, previous)
            assert isinstance(refused[0], Conflict)
        else:
            # Transferred first: the request is no longer the closing expert's to close.
            assert (active.status, active.expert) == (RequestStatus.ACTIVE, target)
            assert isinstance(refused[0], NotFound)
        seen.add(active.status)
    assert seen  # which order won varies; each is checked above


def test_a_requeue_racing_accepts_of_the_same_request_leaves_one_consistent_state():
    staff = AdminFactory.create()
    for _ in range(ROUNDS):
        active = ActiveRequestFactory.create()
        # Offline: only accepting by hand can give them the request, never matching.
        takers = ExpertFactory.create_batch(5, is_online=False)
        calls: list[Callable[[], object]] = [
            partial(request_transfer, request_id=active.pk, actor=staff)
        ]
        calls += [partial(request_accept, request_id=active.pk, expert=t) for t in takers]
        results = run_at_once(calls)
        _, refused = _outcomes(results)

        # The requeue always goes through: an accept cannot take an ACTIVE request before it.
        assert not isinstance(results[0], Exception)
        assert all(isinstance(r, Conflict) for r in refused)
        accepted = [r for r in results[1:] if isinstance(r, SupportRequest)]
        assert len(accepted) <= 1
        active.refresh_from_db()
        if accepted:
            assert (active.status, active.expert_id) == (
                RequestStatus.ACTIVE,
                accepted[0].expert_id,
            )
        else:
            assert (active.status, active.expert) == (RequestStatus.REQUESTED, None)
        assert all(n <= 1 for n in _active_per_expert().values())
