"""GET requests/{id}/timeline/: every lifecycle change, recorded with the change itself."""

import uuid

import pytest

from core.errors import Conflict
from support.models import RequestEvent, RequestStatus
from support.services import request_accept, request_assign, request_cancel, request_close
from tests.factories import (
    ActiveRequestFactory,
    AdminFactory,
    ExpertFactory,
    SupportRequestFactory,
    UserFactory,
)
from tests.helpers.api import client_for
from tests.helpers.requests import assigned_expert, online_expert, url

pytestmark = pytest.mark.django_db


def _timeline(caller, request_id) -> list[dict]:
    response = client_for(caller).get(url("request-timeline", request_id))
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _person(user) -> dict:
    return {"id": str(user.pk), "name": user.name}


def test_a_request_from_opening_to_review_tells_its_whole_story():
    customer = UserFactory.create()
    expert = online_expert()
    opened = client_for(customer).post(url("request-list"), {"title": "Help"}, format="json")
    request_id = opened.json()["id"]
    client_for(expert).post(url("request-close", request_id))
    client_for(customer).post(
        f"{url('request-detail', request_id)}review/", {"rating": 4}, format="json"
    )

    entries = _timeline(customer, request_id)

    assert [(e["event"], e["actor"], e["detail"]) for e in entries] == [
        ("created", _person(customer), {}),
        ("assigned", None, {"expert": _person(expert)}),
        ("closed", _person(expert), {}),
        ("reviewed", _person(customer), {"rating": 4}),
    ]
    ats = [e["at"] for e in entries]
    assert ats == sorted(ats)


def test_accept_assign_and_cancel_are_recorded_with_who_did_them():
    staff, expert = AdminFactory.create(), ExpertFactory.create()
    accepted, assigned, cancelled = SupportRequestFactory.create_batch(3)
    request_accept(request_id=accepted.pk, expert=expert)
    request_assign(request_id=assigned.pk, expert_id=ExpertFactory.create().pk, staff=staff)
    request_cancel(request_id=cancelled.pk, actor=cancelled.requester)

    def recorded(request):
        return [(e.event, e.actor) for e in RequestEvent.objects.filter(request=request)]

    assert recorded(accepted) == [("accepted", expert)]
    assert recorded(assigned) == [("assigned", staff)]
    assert recorded(cancelled) == [("cancelled", cancelled.requester)]


def test_a_refused_change_records_nothing():
    active = ActiveRequestFactory.create()
    with pytest.raises(Conflict):
        request_cancel(request_id=active.pk, actor=active.requester)
    closed = ActiveRequestFactory.create(status=RequestStatus.CLOSED)
    with pytest.raises(Conflict):
        request_close(request_id=closed.pk, actor=closed.requester)
    assert not RequestEvent.objects.exists()


@pytest.mark.parametrize("who", ["requester", "expert", "staff"])
def test_participants_and_staff_read_the_timeline(who):
    active = ActiveRequestFactory.create()
    RequestEvent.objects.create(request=active, event="created", actor=active.requester)
    caller = {
        "requester": active.requester,
        "expert": assigned_expert(active),
        "staff": AdminFactory.create(),
    }[who]
    assert [e["event"] for e in _timeline(caller, active.pk)] == ["created"]


def test_the_timeline_is_a_page_oldest_first():
    active = ActiveRequestFactory.create()
    for event in ["created", "assigned", "transferred", "closed"]:
        RequestEvent.objects.create(request=active, event=event)
    body = client_for(active.requester).get(url("request-timeline", active.pk), {"page_size": 3})
    page = body.json()
    assert (page["count"], page["previous"]) == (4, None)
    assert [e["event"] for e in page["results"]] == ["created", "assigned", "transferred"]
    assert page["next"]


@pytest.mark.parametrize("outsider", [UserFactory, ExpertFactory])
def test_anyone_else_gets_404(outsider):
    active = ActiveRequestFactory.create()
    response = client_for(outsider.create()).get(url("request-timeline", active.pk))
    assert response.status_code == 404
    response = client_for(outsider.create()).get(url("request-timeline", uuid.uuid4()))
    assert response.status_code == 404


def test_an_expert_the_request_was_transferred_away_from_gets_404():
    active = ActiveRequestFactory.create()
    previous = assigned_expert(active)
    client_for(previous).post(
        url("request-transfer", active.pk),
        {"expert_id": str(ExpertFactory.create().pk)},
        format="json",
    )
    assert client_for(previous).get(url("request-timeline", active.pk)).status_code == 404
