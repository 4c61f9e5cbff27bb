import uuid

import pytest

from support.models import RequestStatus
from tests.factories import ActiveRequestFactory, ExpertFactory, SupportRequestFactory, UserFactory
from tests.helpers.api import client_for
from tests.helpers.requests import url

pytestmark = pytest.mark.django_db


def _ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


def test_users_see_only_their_own_requests_newest_first(user, user_client):
    older = SupportRequestFactory.create(requester=user)
    newer = ActiveRequestFactory.create(requester=user)
    SupportRequestFactory.create()
    response = user_client.get(url("request-list"))
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert _ids(response) == [str(newer.pk), str(older.pk)]


def test_experts_see_only_requests_assigned_to_them(expert, expert_client):
    mine = ActiveRequestFactory.create(expert=expert)
    ActiveRequestFactory.create()
    SupportRequestFactory.create()
    assert _ids(expert_client.get(url("request-list"))) == [str(mine.pk)]


def test_staff_see_every_request(admin_client):
    SupportRequestFactory.create_batch(2)
    ActiveRequestFactory.create()
    assert admin_client.get(url("request-list")).json()["count"] == 3


def test_list_is_filtered_by_status(admin_client):
    SupportRequestFactory.create()
    active = ActiveRequestFactory.create()
    response = admin_client.get(url("request-list"), {"status": "ACTIVE"})
    assert _ids(response) == [str(active.pk)]


def test_unknown_status_filter_is_a_field_error(admin_client):
    response = admin_client.get(url("request-list"), {"status": "DONE"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_list_is_paginated(user, user_client):
    SupportRequestFactory.create_batch(3, requester=user)
    page = user_client.get(url("request-list"), {"page_size": 2}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"] is not None


@pytest.mark.parametrize("who", ["requester", "expert", "staff"])
def test_participants_and_staff_see_a_request(admin_user, who):
    active = ActiveRequestFactory.create()
    assert active.expert is not None
    caller = {"requester": active.requester, "expert": active.expert, "staff": admin_user}[who]
    response = client_for(caller).get(url("request-detail", active.pk))
    assert response.status_code == 200
    assert response.json()["id"] == str(active.pk)
    assert response.json()["expert"] == {"id": str(active.expert.pk), "name": active.expert.name}


@pytest.mark.parametrize("outsider", [UserFactory, ExpertFactory])
def test_outsiders_get_404_for_a_request_they_are_not_part_of(outsider: type[UserFactory]) -> None:
    active = ActiveRequestFactory.create()
    assert client_for(outsider.create()).get(url("request-detail", active.pk)).status_code == 404


def test_unknown_and_malformed_ids_are_404(user_client):
    assert user_client.get(url("request-detail", uuid.uuid4())).status_code == 404
    assert user_client.get("/api/requests/12345/").status_code == 404


def test_list_requires_authentication(api_client):
    assert api_client.get(url("request-list")).status_code == 401


def test_status_values_in_filter_match_the_lifecycle(admin_client):
    for status in RequestStatus.values:
        assert admin_client.get(url("request-list"), {"status": status}).status_code == 200
