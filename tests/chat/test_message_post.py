"""message_post: seqs 1..N with no gaps or repeats, whatever the concurrency."""

import json
from functools import partial

import pytest

from chat.models import Message
from chat.serializers import MessageSerializer, message_data
from chat.services import message_post
from core.errors import NotActive, NotAllowed, NotFound
from support.models import RequestStatus
from tests.factories import ActiveRequestFactory, AdminFactory, MessageFactory, UserFactory
from tests.helpers.concurrency import returned, run_at_once
from tests.helpers.markers import requires_postgres


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_get_seqs_one_to_n_without_gaps_or_repeats():
    request = ActiveRequestFactory.create()
    assert request.expert is not None
    senders = [request.requester, request.expert] * 8

    results = run_at_once(
        [
            partial(message_post, request_id=request.pk, sender=sender, content=f"m{n}")
            for n, sender in enumerate(senders)
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert sorted(m.seq for m, _ in returned(results)) == list(range(1, 17))
    assert list(Message.objects.filter(request=request).values_list("seq", flat=True)) == list(
        range(1, 17)
    )
    request.refresh_from_db()
    assert request.last_seq == 16


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_client_id_store_one_message_and_leave_no_gap():
    request = ActiveRequestFactory.create()
    results = run_at_once(
        [
            lambda: message_post(
                request_id=request.pk, sender=request.requester, content="x", client_id="dup"
            )
        ]
        * 6
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert len({m.pk for m, _ in returned(results)}) == 1
    assert sorted(created for _, created in returned(results)) == [False] * 5 + [True]
    message_post(request_id=request.pk, sender=request.requester, content="next")
    assert list(Message.objects.filter(request=request).values_list("seq", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_posting_to_a_request_that_is_not_active_raises_not_active():
    request = ActiveRequestFactory.create(status=RequestStatus.CLOSED)
    with pytest.raises(NotActive):
        message_post(request_id=request.pk, sender=request.requester, content="x")


@pytest.mark.django_db
def test_outsiders_get_not_found_and_staff_not_allowed():
    request = ActiveRequestFactory.create()
    with pytest.raises(NotFound):
        message_post(request_id=request.pk, sender=UserFactory.create(), content="x")
    with pytest.raises(NotAllowed):
        message_post(request_id=request.pk, sender=AdminFactory.create(), content="x")
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_the_socket_shape_of_a_message_is_the_rest_shape():
    message = MessageFactory.create(client_id="c-1")
    message = Message.objects.select_related("sender").get(pk=message.pk)
    assert message_data(message) == json.loads(json.dumps(MessageSerializer(message).data))


@pytest.mark.django_db
def test_the_first_message_of_anyone_but_the_requester_is_recorded_as_the_first_response():
    request = ActiveRequestFactory.create()
    expert = request.expert
    assert expert is not None

    message_post(request_id=request.pk, sender=request.requester, content="Hello?")
    request.refresh_from_db()
    assert (request.first_response_at, request.first_responder_id) == (None, None)

    answer, _ = message_post(request_id=request.pk, sender=expert, content="Hi!")
    message_post(request_id=request.pk, sender=expert, content="How can I help?")

    request.refresh_from_db()
    assert request.first_response_at == answer.created_at
    assert request.first_responder_id == expert.pk
