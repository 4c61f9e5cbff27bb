"""Staff see what the offline-email job knows of each pair in Django admin, read only."""

import pytest

from accounts.models import User
from chat.services import message_post
from notifications.models import OfflineNotice
from tests.factories import ActiveRequestFactory
from tests.helpers.requests import assigned_expert

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_browser(client):
    superuser = User.objects.create_superuser(email="root@example.com", password="x", name="Root")
    client.force_login(superuser)
    return client


def test_staff_see_the_offline_notices_and_cannot_add_one(smtp, staff_browser):
    request = ActiveRequestFactory.create(title="Printer on fire")
    message_post(request_id=request.pk, sender=assigned_expert(request), content="Hi")
    notice = OfflineNotice.objects.get()

    listing = staff_browser.get("/admin/notifications/offlinenotice/?status__exact=PENDING")
    page = staff_browser.get(f"/admin/notifications/offlinenotice/{notice.pk}/change/")

    assert listing.status_code == 200
    assert request.requester.email in listing.content.decode()
    assert page.status_code == 200
    assert staff_browser.get("/admin/notifications/offlinenotice/add/").status_code == 403
