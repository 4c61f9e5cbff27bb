"""Timeouts on PostgreSQL with real threads: several processes running the job at once act on
each request once, and a timeout racing the expert's message has one outcome, never both."""

from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from chat.services import message_post
from chat.timeouts import requests_time_out
from core.errors import NotActive, NotFound
from support.models import RequestEvent, RequestStatus
from tests.factories import ActiveRequestFactory
from tests.helpers.concurrency import returned, run_at_once
from tests.helpers.markers import requires_postgres
from tests.helpers.requests import assigned_expert

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_jobs_running_at_once_in_several_processes_requeue_each_request_once(settings):
    settings.FIRST_RESPONSE_TIMEOUT = 1
    long_ago = timezone.now() - timedelta(minutes=5)
    due = ActiveRequestFactory.create_batch(12, accepted_at=long_ago)

    runs = returned(run_at_once([requests_time_out] * 4))

    requeued = [pk for run in runs for pk in run.requeued]
    assert sorted(requeued) == sorted(r.pk for r in due)
    assert RequestEvent.objects.filter(event="requeued").count() == 12


def test_jobs_running_at_once_close_each_idle_request_once(settings):
    settings.INACTIVITY_CLOSE_AFTER = 1
    long_ago = timezone.now() - timedelta(minutes=5)
    due = ActiveRequestFactory.create_batch(12, accepted_at=long_ago)

    runs = returned(run_at_once([requests_time_out] * 4))

    assert sorted(pk for run in runs for pk in run.closed) == sorted(r.pk for r in due)
    assert RequestEvent.objects.filter(event="closed").count() == 12


def test_a_timeout_racing_the_experts_first_message_has_one_outcome(settings):
    settings.FIRST_RESPONSE_TIMEOUT = 1
    long_ago = timezone.now() - timedelta(minutes=5)
    due = ActiveRequestFactory.create_batch(8, accepted_at=long_ago)
    calls: list = [requests_time_out, requests_time_out]
    calls += [
        partial(message_post, request_id=r.pk, sender=assigned_expert(r), content="On it!")
        for r in due
    ]

    results = run_at_once(calls)

    requeued = {pk for run in returned(results[:2]) for pk in run.requeued}
    for request, sent in zip(due, results[2:], strict=True):
        request.refresh_from_db()
        if request.pk in requeued:
            # Requeued first: the message came too late, and nothing was stored.
            assert request.status == RequestStatus.REQUESTED
            assert isinstance(sent, NotActive | NotFound)
            assert request.last_seq == 0
        else:
            # Written first: the expert keeps the request.
            assert not isinstance(sent, Exception), sent
            assert (request.status, request.last_seq) == (RequestStatus.ACTIVE, 1)
