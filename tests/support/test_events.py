"""support announces changes as events; handlers run after the commit, each on its own."""

import pytest
from django.db import transaction

from core import events
from support.events import RequestChanged
from tests.factories import SupportRequestFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard(monkeypatch) -> list[RequestChanged]:
    """Subscribe a recording handler for this test only."""
    received: list[RequestChanged] = []
    monkeypatch.setattr(events, "_handlers", events.defaultdict(list))
    events.subscribe(RequestChanged, received.append)
    return received


def test_handlers_hear_an_event_once_its_transaction_commits(heard):
    request = SupportRequestFactory.create()
    with transaction.atomic():
        events.publish(RequestChanged(request=request))
        assert heard == []

    assert heard == [RequestChanged(request=request)]


def test_nothing_is_heard_of_a_change_that_was_rolled_back(heard):
    request = SupportRequestFactory.create()
    with transaction.atomic():
        events.publish(RequestChanged(request=request))
        transaction.set_rollback(True)

    assert heard == []


def test_a_failing_handler_keeps_neither_the_others_nor_the_change_from_going_ahead(heard):
    def broken(event: RequestChanged) -> None:
        raise ValueError("handler bug")

    events.subscribe(RequestChanged, broken)
    events.subscribe(RequestChanged, heard.append)  # already subscribed: no second call
    request = SupportRequestFactory.create()
    with transaction.atomic():
        events.publish(RequestChanged(request=request))

    assert heard == [RequestChanged(request=request)]
