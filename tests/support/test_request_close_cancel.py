import uuid

import pytest

from support.models import RequestStatus, SupportRequest
from tests.factories import ActiveRequestFactory, ExpertFactory, SupportRequestFactory, UserFactory
from tests.helpers.api import client_for
from tests.helpers.requests import url

pytestmark = pytest.mark.django_db


def _request_in(status: str) -> SupportRequest:
    if status in (RequestStatus.ACTIVE, RequestStatus.CLOSED):
        return ActiveRequestFactory.create(status=status)
    return SupportRequestFactory.create(status=status)


@pytest.mark.parametrize("who", ["requester", "expert", "staff"])
def test_participants_and_staff_close_an_active_request(admin_user, who):
    active = ActiveRequestFactory.create()
    caller = {"requester": active.requester, "expert": active.expert, "staff": admin_user}[who]
    response = client_for(caller).post(url("request-close", active.pk))
    assert response.status_code == 200
    assert response.json()["status"] == "CLOSED"
    active.refresh_from_db()
    assert active.status == RequestStatus.CLOSED
    assert active.closed_at is not None


@pytest.mark.parametrize(
    "status", [RequestStatus.REQUESTED, RequestStatus.CLOSED, RequestStatus.CANCELLED]
)
def test_closing_a_request_that_is_not_active_is_a_conflict(admin_client, status):
    settled = _request_in(status)
    assert admin_client.post(url("request-close", settled.pk)).status_code == 409
    settled.refresh_from_db()
    assert settled.status == status


def test_requester_closing_a_waiting_request_is_a_conflict():
    waiting = SupportRequestFactory.create()
    assert client_for(waiting.requester).post(url("request-close", waiting.pk)).status_code == 409


@pytest.mark.parametrize("outsider", [UserFactory, ExpertFactory])
def test_outsiders_get_404_when_closing(outsider: type[UserFactory]) -> None:
    active = ActiveRequestFactory.create()
    assert client_for(outsider.create()).post(url("request-close", active.pk)).status_code == 404
    active.refresh_from_db()
    assert active.status == RequestStatus.ACTIVE


@pytest.mark.parametrize("who", ["requester", "staff"])
def test_requester_and_staff_cancel_a_waiting_request(admin_user, who):
    waiting = SupportRequestFactory.create()
    caller = waiting.requester if who == "requester" else admin_user
    response = client_for(caller).post(url("request-cancel", waiting.pk))
    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.CANCELLED
    assert waiting.expert is None
    assert waiting.closed_at is not None


@pytest.mark.parametrize(
    "status", [RequestStatus.ACTIVE, RequestStatus.CLOSED, RequestStatus.CANCELLED]
)
def test_cancelling_a_request_that_is_not_waiting_is_a_conflict(status):
    settled = _request_in(status)
    response = client_for(settled.requester).post(url("request-cancel", settled.pk))
    assert response.status_code == 409
    settled.refresh_from_db()
    assert settled.status == status


def test_assigned_expert_may_not_cancel():
    active = ActiveRequestFactory.create()
    assert active.expert is not None
    assert client_for(active.expert).post(url("request-cancel", active.pk)).status_code == 403


@pytest.mark.parametrize("outsider", [UserFactory, ExpertFactory])
def test_outsiders_get_404_when_cancelling(outsider: type[UserFactory]) -> None:
    waiting = SupportRequestFactory.create()
    assert client_for(outsider.create()).post(url("request-cancel", waiting.pk)).status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.REQUESTED


def test_closing_or_cancelling_an_unknown_request_is_404(admin_client):
    assert admin_client.post(url("request-close", uuid.uuid4())).status_code == 404
    assert admin_client.post(url("request-cancel", uuid.uuid4())).status_code == 404


def test_closed_request_is_never_reopened_by_accept(expert_client):
    closed = ActiveRequestFactory.create(status=RequestStatus.CLOSED)
    assert expert_client.post(url("request-accept", closed.pk)).status_code == 409
