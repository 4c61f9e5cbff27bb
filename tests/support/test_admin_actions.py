"""Django admin: the request list and the lifecycle actions, which go through the services."""

import pytest
from django.test import Client

from support.models import RequestEvent, RequestStatus
from tests.factories import ActiveRequestFactory, MessageFactory, SupportRequestFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/support/supportrequest/"


@pytest.fixture
def staff_browser(admin_user) -> Client:
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    browser = Client()
    browser.force_login(admin_user)
    return browser


def _act(browser: Client, action: str, *requests):
    return browser.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(r.pk) for r in requests]},
        follow=True,
    )


def test_request_list_filters_and_searches(staff_browser):
    SupportRequestFactory.create(title="Printer on fire")
    SupportRequestFactory.create(title="Lost password")
    response = staff_browser.get(CHANGELIST, {"q": "printer", "status__exact": "REQUESTED"})
    assert response.status_code == 200
    assert b"Printer on fire" in response.content
    assert b"Lost password" not in response.content


def test_request_page_shows_its_messages(staff_browser):
    message = MessageFactory.create(content="the conversation so far", seq=1)
    response = staff_browser.get(f"{CHANGELIST}{message.request.pk}/change/")
    assert response.status_code == 200
    assert b"the conversation so far" in response.content


def test_cancel_action_cancels_waiting_requests_and_reports_the_rest(staff_browser):
    waiting, active = SupportRequestFactory.create(), ActiveRequestFactory.create()
    response = _act(staff_browser, "cancel_selected", waiting, active)
    assert response.status_code == 200
    waiting.refresh_from_db()
    active.refresh_from_db()
    assert waiting.status == RequestStatus.CANCELLED
    assert active.status == RequestStatus.ACTIVE
    text = response.content.decode()
    assert "1 request(s) cancelled." in text
    assert "Only a request that is still waiting can be cancelled." in text


def test_close_action_closes_active_requests(staff_browser):
    active, waiting = ActiveRequestFactory.create(), SupportRequestFactory.create()
    _act(staff_browser, "close_selected", active, waiting)
    active.refresh_from_db()
    waiting.refresh_from_db()
    assert active.status == RequestStatus.CLOSED
    assert active.closed_at is not None
    assert waiting.status == RequestStatus.REQUESTED


def test_request_page_shows_its_timeline(staff_browser):
    active = ActiveRequestFactory.create()
    RequestEvent.objects.create(request=active, event="created", detail={"note": "first entry"})
    response = staff_browser.get(f"{CHANGELIST}{active.pk}/change/")
    assert response.status_code == 200
    assert b"first entry" in response.content


def test_requeue_action_sends_active_requests_back_to_the_queue(staff_browser):
    waiting, active = SupportRequestFactory.create(), ActiveRequestFactory.create()
    response = _act(staff_browser, "requeue_selected", waiting, active)
    active.refresh_from_db()
    assert (active.status, active.expert) == (RequestStatus.REQUESTED, None)
    text = response.content.decode()
    assert "1 request(s) sent back to the queue." in text
    assert "Only an active request can be transferred." in text
