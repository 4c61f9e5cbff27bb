"""Read state over REST: POST requests/{id}/read/, and unread_count/read_seqs on the request."""

import pytest
from django.urls import reverse

from chat.services import message_post, message_read
from support.models import RequestStatus, SupportRequest
from tests.factories import ActiveRequestFactory, AdminFactory, UserFactory
from tests.helpers.api import client_for
from tests.helpers.concurrency import returned, run_at_once
from tests.helpers.requests import assigned_expert

pytestmark = pytest.mark.django_db


def read_url(request) -> str:
    return reverse("request-read", kwargs={"request_id": request.pk})


def detail(request, user) -> dict:
    response = client_for(user).get(reverse("request-detail", kwargs={"request_id": request.pk}))
    assert response.status_code == 200
    return response.data


def stored(request) -> tuple[int, int]:
    request.refresh_from_db()
    return request.requester_read_seq, request.expert_read_seq


@pytest.fixture
def chat() -> SupportRequest:
    """An active request in which the requester said three things and the expert one."""
    request = ActiveRequestFactory.create()
    for n in range(1, 4):
        message_post(request_id=request.pk, sender=request.requester, content=f"u{n}")
    message_post(request_id=request.pk, sender=assigned_expert(request), content="e1")
    return request


def test_sending_moves_the_senders_own_read_position(chat):
    assert stored(chat) == (3, 4)
    assert detail(chat, chat.requester)["read_seqs"] == {"user": 3, "expert": 4}
    assert detail(chat, chat.requester)["unread_count"] == 1
    assert detail(chat, chat.expert)["unread_count"] == 0


def test_a_participant_marks_read_and_the_other_sees_it(chat):
    response = client_for(chat.requester).post(read_url(chat), {"seq": 4}, format="json")

    assert response.status_code == 200
    assert response.data == {"request_id": str(chat.pk), "seq": 4}
    assert detail(chat, chat.requester)["unread_count"] == 0
    assert detail(chat, chat.expert)["read_seqs"] == {"user": 4, "expert": 4}


def test_the_position_never_moves_back_nor_past_the_last_message(chat):
    client = client_for(chat.expert)
    message_post(request_id=chat.pk, sender=chat.requester, content="u4")  # seq 5

    assert client.post(read_url(chat), {"seq": 99}, format="json").data["seq"] == 5
    assert client.post(read_url(chat), {"seq": 2}, format="json").data["seq"] == 5
    assert client.post(read_url(chat), {"seq": 2**40}, format="json").data["seq"] == 5
    assert stored(chat)[1] == 5


@pytest.mark.parametrize("seq", [-1, "x", None, 1.5, True, [], {}])
def test_a_seq_that_is_not_a_non_negative_integer_is_refused(chat, seq):
    before = stored(chat)

    response = client_for(chat.requester).post(read_url(chat), {"seq": seq}, format="json")

    assert response.status_code == 400
    assert "seq" in response.data
    assert stored(chat) == before


def test_a_missing_seq_is_refused(chat):
    response = client_for(chat.requester).post(read_url(chat), {}, format="json")
    assert response.status_code == 400
    assert "seq" in response.data


def test_staff_who_do_not_take_part_have_no_read_position(chat):
    response = client_for(AdminFactory.create()).post(read_url(chat), {"seq": 1}, format="json")
    assert response.status_code == 403
    assert response.data["code"] == "access_denied"


def test_strangers_do_not_learn_the_request_exists(chat):
    response = client_for(UserFactory.create()).post(read_url(chat), {"seq": 1}, format="json")
    assert response.status_code == 404


def test_a_closed_request_can_still_be_read(chat):
    SupportRequest.objects.filter(pk=chat.pk).update(status=RequestStatus.CLOSED)
    response = client_for(chat.requester).post(read_url(chat), {"seq": 4}, format="json")
    assert (response.status_code, response.data["seq"]) == (200, 4)


def test_staff_who_only_watch_see_nothing_unread(chat):
    staff = detail(chat, AdminFactory.create())
    assert staff["unread_count"] == 0
    assert staff["read_seqs"] == {"user": 3, "expert": 4}


def test_the_list_filters_on_unread(user):
    unread = ActiveRequestFactory.create(requester=user)
    read = ActiveRequestFactory.create(requester=user)
    for request in (unread, read):
        message_post(request_id=request.pk, sender=assigned_expert(request), content="Hello")
    message_read(request_id=read.pk, user=user, seq=1)
    client = client_for(user)
    url = reverse("request-list")

    def ids(query) -> set[str]:
        return {row["id"] for row in client.get(url, query).data["results"]}

    assert ids({"unread": "true"}) == {str(unread.pk)}
    assert ids({"unread": "false"}) == {str(read.pk)}
    assert ids({}) == {str(unread.pk), str(read.pk)}
    assert client.get(url, {"unread": "maybe"}).status_code == 400


def test_a_page_of_requests_counts_unread_in_one_query(django_assert_num_queries, user):
    for _ in range(12):
        request = ActiveRequestFactory.create(requester=user)
        message_post(request_id=request.pk, sender=assigned_expert(request), content="Hello")
    client = client_for(user)
    url = reverse("request-list")
    client.get(url)  # the session and the schema check warm up outside the count

    # authentication's user, the page count, the page itself (related rows joined)
    with django_assert_num_queries(3):
        response = client.get(url)

    assert [row["unread_count"] for row in response.data["results"]] == [1] * 12


def test_two_tabs_marking_at_once_leave_the_furthest_position(transactional_db):
    request = ActiveRequestFactory.create()
    for n in range(10):
        message_post(request_id=request.pk, sender=assigned_expert(request), content=f"m{n}")

    def mark(seq: int):
        return lambda: message_read(request_id=request.pk, user=request.requester, seq=seq)

    positions = returned(run_at_once([mark(seq) for seq in (3, 9, 5, 7, 1, 10, 2, 8)]))

    assert stored(request)[0] == 10
    assert sum(position.moved for position in positions) >= 1
    # Each answer is the position as stored after its own update: never behind its own seq.
    for seq, position in zip((3, 9, 5, 7, 1, 10, 2, 8), positions, strict=True):
        assert position.seq >= seq
