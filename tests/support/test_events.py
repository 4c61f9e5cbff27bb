"""support announces changes as events; handlers run after the commit, each on its own."""

import pytest
from django.db import transaction

from support import events
from tests.factories import SupportRequestFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard(monkeypatch) -> list[events.RequestChanged]:
    """Subscribe a recording handler for this test only."""
    received: list[events.RequestChanged] = []
    monkeypatch.setattr(events, "_handlers", events.defaultdict(list))
    events.subscribe(events.RequestChanged, received.append)
    return received


def test_handlers_hear_an_event_once_its_transaction_commits(heard):
    request = SupportRequestFactory.create()
    with transaction.atomic():
        events.publish(events.RequestChanged(request=request))
        assert heard == []

    assert heard == [events.RequestChanged(request=request)]


def test_nothing_is_heard_of_a_change_that_was_rolled_back(heard):
    request = SupportRequestFactory.create()
    with transaction.atomic():
        events.publish(events.RequestChanged(request=request))
        transaction.set_rollback(True)

    assert heard == []


def test_a_failing_handler_keeps_neither_the_others_nor_the_change_from_going_ahead(heard):
    def broken(event: events.RequestChanged) -> None:
        raise ValueError("handler bug")

    events.subscribe(events.RequestChanged, broken)
    events.subscribe(events.RequestChanged, heard.append)  # already subscribed: no second call
    request = SupportRequestFactory.create()
    with transaction.atomic():
        events.publish(events.RequestChanged(request=request))

    assert heard == [events.RequestChanged(request=request)]
