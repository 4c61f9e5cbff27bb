"""FIRST_RESPONSE_TIMEOUT and INACTIVITY_CLOSE_AFTER: the job every server process runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.timeouts import check_interval, requests_time_out
from support.models import RequestEvent, RequestStatus, SupportRequest
from tests.factories import ActiveRequestFactory, MessageFactory
from tests.helpers.requests import assigned_expert, online_expert

pytestmark = pytest.mark.django_db

MINUTE = timedelta(seconds=60)


@pytest.fixture
def first_response(settings):
    settings.FIRST_RESPONSE_TIMEOUT = 60
    settings.INACTIVITY_CLOSE_AFTER = 0


@pytest.fixture
def inactivity(settings):
    settings.FIRST_RESPONSE_TIMEOUT = 0
    settings.INACTIVITY_CLOSE_AFTER = 60


def _assigned(ago: timedelta, **fields) -> SupportRequest:
    return ActiveRequestFactory.create(accepted_at=timezone.now() - ago, **fields)


def _message(request: SupportRequest, sender, ago: timedelta) -> None:
    MessageFactory.create(request=request, sender=sender, created_at=timezone.now() - ago)


def _status(request: SupportRequest) -> str:
    request.refresh_from_db()
    return request.status


def test_both_timeouts_are_off_by_default(settings):
    assert (settings.FIRST_RESPONSE_TIMEOUT, settings.INACTIVITY_CLOSE_AFTER) == (0, 0)
    long_ago = _assigned(timedelta(days=30))

    assert requests_time_out().requeued == []
    assert _status(long_ago) == RequestStatus.ACTIVE


@pytest.mark.usefixtures("first_response")
def test_a_request_whose_expert_never_wrote_goes_back_to_the_queue(
    django_capture_on_commit_callbacks,
):
    unanswered = _assigned(MINUTE + timedelta(seconds=1))
    previous = assigned_expert(unanswered)
    _message(unanswered, unanswered.requester, timedelta(seconds=50))  # the customer did
    with django_capture_on_commit_callbacks(execute=True):
        timed_out = requests_time_out()

    assert timed_out.requeued == [unanswered.pk]
    unanswered.refresh_from_db()
    assert (unanswered.status, unanswered.expert, unanswered.accepted_at) == (
        "REQUESTED",
        None,
        None,
    )
    entry = RequestEvent.objects.get(request=unanswered)
    assert (entry.event, entry.actor) == ("requeued", None)
    assert entry.detail == {
        "from": {"id": str(previous.pk), "name": previous.name},
        "reason": "first_response_timeout",
    }


@pytest.mark.usefixtures("first_response")
def test_matching_after_the_timeout_gives_the_request_to_someone_else(
    django_capture_on_commit_callbacks,
):
    previous = online_expert()
    other = online_expert()
    unanswered = _assigned(2 * MINUTE, expert=previous)
    with django_capture_on_commit_callbacks(execute=True):
        requests_time_out()

    unanswered.refresh_from_db()
    assert (unanswered.status, unanswered.expert) == (RequestStatus.ACTIVE, other)


@pytest.mark.usefixtures("first_response")
def test_an_expert_who_wrote_or_is_not_late_yet_keeps_the_request():
    answered = _assigned(2 * MINUTE)
    _message(answered, assigned_expert(answered), MINUTE + timedelta(seconds=30))
    recent = _assigned(MINUTE - timedelta(seconds=5))

    assert requests_time_out().requeued == []
    assert (_status(answered), _status(recent)) == (RequestStatus.ACTIVE, RequestStatus.ACTIVE)


@pytest.mark.usefixtures("first_response")
def test_after_a_transfer_only_the_new_experts_own_messages_count():
    # The previous expert wrote before the transfer; the new one, assigned 2 minutes ago, not.
    transferred = _assigned(2 * MINUTE)
    _message(transferred, assigned_expert(transferred), 10 * MINUTE)
    _message(transferred, transferred.requester, 30 * timedelta(seconds=1))

    assert requests_time_out().requeued == [transferred.pk]


@pytest.mark.usefixtures("inactivity")
def test_a_request_nobody_wrote_in_for_the_timeout_is_closed():
    quiet = _assigned(10 * MINUTE)
    _message(quiet, quiet.requester, MINUTE + timedelta(seconds=1))
    never_written = _assigned(MINUTE + timedelta(seconds=1))

    timed_out = requests_time_out()

    assert sorted(timed_out.closed) == sorted([quiet.pk, never_written.pk])
    assert (_status(quiet), _status(never_written)) == ("CLOSED", "CLOSED")
    entry = RequestEvent.objects.get(request=quiet)
    assert (entry.event, entry.actor) == ("closed", None)
    assert entry.detail == {"reason": "inactivity", "idle_seconds": 60}


@pytest.mark.usefixtures("inactivity")
def test_a_recent_message_or_assignment_keeps_the_request_open():
    talking = _assigned(10 * MINUTE)
    _message(talking, assigned_expert(talking), timedelta(seconds=30))
    # Its last message is old, but it was transferred to its expert 30 seconds ago.
    transferred = _assigned(timedelta(seconds=30))
    _message(transferred, transferred.requester, 10 * MINUTE)

    assert requests_time_out().closed == []
    assert (_status(talking), _status(transferred)) == ("ACTIVE", "ACTIVE")


def test_requests_that_are_not_active_are_never_touched(settings):
    settings.FIRST_RESPONSE_TIMEOUT = settings.INACTIVITY_CLOSE_AFTER = 60
    closed = _assigned(10 * MINUTE, status=RequestStatus.CLOSED, closed_at=timezone.now())

    assert requests_time_out().requeued == requests_time_out().closed == []
    assert _status(closed) == RequestStatus.CLOSED
    assert not RequestEvent.objects.exists()


def test_the_check_interval_follows_the_shortest_timeout(settings):
    settings.FIRST_RESPONSE_TIMEOUT, settings.INACTIVITY_CLOSE_AFTER = 8, 3600
    assert check_interval() == 2
    settings.FIRST_RESPONSE_TIMEOUT = 1
    assert check_interval() == 0.5
    settings.FIRST_RESPONSE_TIMEOUT = 0
    assert check_interval() == 5
