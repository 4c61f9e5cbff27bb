"""Django admin shows attachments, read-only, linked only to the access-checked download."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.attachments.services import attachment_upload
from chat.services import message_post
from tests.factories import ActiveRequestFactory
from tests.helpers.attachments import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_browser(admin_user) -> Client:
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    browser = Client()
    browser.force_login(admin_user)
    return browser


@pytest.fixture
def attachment():
    chat = ActiveRequestFactory.create()
    attachment = attachment_upload(
        request_id=chat.pk, uploader=chat.requester, file=SimpleUploadedFile("shot.png", PNG)
    )
    message_post(
        request_id=chat.pk, sender=chat.requester, content="", attachment_ids=[attachment.pk]
    )
    return attachment


def test_the_request_page_shows_its_attachments_with_the_checked_download(
    staff_browser, attachment
):
    response = staff_browser.get(f"/admin/support/supportrequest/{attachment.request_id}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/api/attachments/{attachment.pk}/download/"' in page
    assert attachment.storage_key not in page


def test_the_attachment_list_and_page_load_and_link_only_the_checked_download(
    staff_browser, attachment
):
    listing = staff_browser.get("/admin/chat/attachment/?message__isempty=0")
    page = staff_browser.get(f"/admin/chat/attachment/{attachment.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert f"/api/attachments/{attachment.pk}/download/" in listing.content.decode()
    assert "/media/" not in page.content.decode()


def test_staff_signed_in_to_the_admin_can_follow_the_link(staff_browser, attachment):
    response = staff_browser.get(f"/api/attachments/{attachment.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
