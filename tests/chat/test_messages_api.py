"""REST history and posting: GET/POST requests/{id}/messages/."""

import pytest
from django.urls import reverse

from chat.models import Message
from chat.services import message_post
from support.models import RequestStatus, SupportRequest
from tests.factories import ActiveRequestFactory, AdminFactory, UserFactory
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db


def url(request) -> str:
    return reverse("request-messages", kwargs={"request_id": request.pk})


@pytest.fixture
def chat() -> SupportRequest:
    request = ActiveRequestFactory.create()
    for n in range(1, 8):
        message_post(request_id=request.pk, sender=request.requester, content=f"m{n}")
    return request


def seqs(response) -> list[int]:
    return [message["seq"] for message in response.data["results"]]


def test_participants_read_history_ascending_by_seq(chat):
    response = client_for(chat.expert).get(url(chat))
    assert response.status_code == 200
    assert seqs(response) == [1, 2, 3, 4, 5, 6, 7]
    assert response.data["has_more"] is False
    first = response.data["results"][0]
    assert first["sender"]["id"] == str(chat.requester.pk)
    assert first["request_id"] == str(chat.pk)


def test_after_and_limit_page_forward(chat):
    response = client_for(chat.requester).get(url(chat), {"after": 2, "limit": 3})
    assert seqs(response) == [3, 4, 5]
    assert response.data["has_more"] is True


def test_before_returns_the_latest_messages_before_it_ascending(chat):
    response = client_for(chat.requester).get(url(chat), {"before": 6, "limit": 2})
    assert seqs(response) == [4, 5]
    assert response.data["has_more"] is True


def test_staff_may_read_any_history(chat):
    assert client_for(AdminFactory.create()).get(url(chat)).status_code == 200


def test_others_get_404(chat):
    assert client_for(UserFactory.create()).get(url(chat)).status_code == 404


def test_anonymous_gets_401(chat, api_client):
    assert api_client.get(url(chat)).status_code == 401


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 201}, {"limit": "x"}, {"after": -1}])
def test_invalid_bounds_are_400(chat, query):
    response = client_for(chat.requester).get(url(chat), query)
    assert response.status_code == 400
    assert set(response.data) <= {"limit", "after", "before"}


def test_post_stores_and_answers_201(chat):
    response = client_for(chat.expert).post(url(chat), {"content": "  hi  "}, format="json")
    assert response.status_code == 201
    assert response.data["seq"] == 8
    assert response.data["content"] == "hi"
    assert response.data["sender"]["role"] == "EXPERT"


def test_post_with_a_repeated_client_id_answers_200_with_the_original(chat):
    client = client_for(chat.requester)
    first = client.post(url(chat), {"content": "x", "client_id": "k"}, format="json")
    again = client.post(url(chat), {"content": "x", "client_id": "k"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.data == first.data
    assert Message.objects.filter(request=chat).count() == 8


@pytest.mark.parametrize("body", [{}, {"content": "   "}, {"content": "x" * 4001}])
def test_post_with_bad_content_is_400_with_field_errors(chat, body):
    response = client_for(chat.requester).post(url(chat), body, format="json")
    assert response.status_code == 400
    assert "content" in response.data


def test_post_by_staff_who_do_not_take_part_is_403(chat):
    response = client_for(AdminFactory.create()).post(url(chat), {"content": "x"}, format="json")
    assert response.status_code == 403


def test_post_by_others_is_404(chat):
    response = client_for(UserFactory.create()).post(url(chat), {"content": "x"}, format="json")
    assert response.status_code == 404


def test_post_to_a_closed_request_is_409(chat):
    type(chat).objects.filter(pk=chat.pk).update(status=RequestStatus.CLOSED)
    response = client_for(chat.requester).post(url(chat), {"content": "x"}, format="json")
    assert response.status_code == 409
    assert Message.objects.filter(request=chat).count() == 7
