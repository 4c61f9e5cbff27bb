"""GET attachments/{id}/download/: the file for participants and staff, 404 for anyone else, as an
attachment of its detected type that no browser renders; a redirect to a signed URL with
remote storage."""

import warnings

import pytest
from django.core.files.storage import FileSystemStorage, Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chat.attachments.services import attachment_upload
from chat.models import Attachment
from tests.factories import ActiveRequestFactory, AdminFactory, ExpertFactory, UserFactory
from tests.helpers.api import client_for
from tests.helpers.attachments import PNG, TEXT, stored_files

pytestmark = pytest.mark.django_db


def stored(content: bytes = PNG, name: str = "shot.png") -> Attachment:
    request = ActiveRequestFactory.create()
    return attachment_upload(
        request_id=request.pk,
        uploader=request.requester,
        file=SimpleUploadedFile(name, content),
    )


def url(attachment: Attachment) -> str:
    return reverse("attachment-download", kwargs={"attachment_id": attachment.pk})


def body(response) -> bytes:
    with warnings.catch_warnings():
        # The test client is synchronous; the response streams asynchronously, as under ASGI.
        warnings.simplefilter("ignore")
        return b"".join(response)


def test_participants_and_staff_download_the_file():
    attachment = stored()
    request = attachment.request

    assert request.expert is not None
    for user in (request.requester, request.expert, AdminFactory.create()):
        response = client_for(user).get(url(attachment))

        assert response.status_code == 200
        assert body(response) == PNG


def test_the_download_is_an_attachment_of_the_detected_type_never_rendered():
    attachment = stored()

    response = client_for(attachment.request.requester).get(url(attachment))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="shot.png"'
    assert response["Content-Length"] == str(len(PNG))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"


def test_text_is_served_as_utf8_under_a_name_with_its_extension():
    attachment = stored(TEXT, "page.html")

    response = client_for(attachment.request.requester).get(url(attachment))

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="page.html.txt"'
    assert body(response) == TEXT


def test_a_name_beyond_ascii_is_given_as_rfc_5987_filename_star():
    attachment = stored(PNG, "écran ✓.png")

    response = client_for(attachment.request.requester).get(url(attachment))

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%C3%A9cran%20%E2%9C%93.png"
    )


def test_anyone_else_gets_404_as_for_no_such_attachment():
    attachment = stored()
    outsiders = [UserFactory.create(), ExpertFactory.create()]

    for user in outsiders:
        response = client_for(user).get(url(attachment))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    unknown = reverse(
        "attachment-download", kwargs={"attachment_id": "00000000-0000-4000-8000-000000000000"}
    )
    assert client_for(attachment.request.requester).get(unknown).status_code == 404


def test_anonymous_gets_401(api_client):
    assert api_client.get(url(stored())).status_code == 401


def test_a_file_gone_from_storage_is_404():
    attachment = stored()
    for path in stored_files():
        path.unlink()

    assert client_for(attachment.request.requester).get(url(attachment)).status_code == 404


def test_any_accept_header_gets_the_file():
    attachment = stored()

    response = client_for(attachment.request.requester).get(
        url(attachment), HTTP_ACCEPT="image/png"
    )

    assert response.status_code == 200


def test_nothing_is_served_from_media_root_by_url(client):
    attachment = stored()

    assert client.get(f"/media/{attachment.storage_key}").status_code == 404
    assert client.get(f"/{attachment.storage_key}").status_code == 404


class SigningStorage(Storage):
    """A remote storage as django-storages' S3 backend is: signed URLs with response headers."""

    def __init__(self) -> None:
        self.local = FileSystemStorage()

    def _save(self, name, content):
        return self.local.save(name, content)

    def exists(self, name):
        return self.local.exists(name)

    def delete(self, name):
        self.local.delete(name)

    def url(self, name, parameters=None, expire=None, http_method=None):
        query = "&".join(f"{key}={value}" for key, value in sorted((parameters or {}).items()))
        return f"https://bucket.example.com/{name}?X-Amz-Signature=sig&{query}"


def test_with_remote_storage_the_download_redirects_to_a_signed_url(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {"BACKEND": f"{__name__}.SigningStorage"},
    }
    attachment = stored()

    response = client_for(attachment.request.requester).get(url(attachment))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"https://bucket.example.com/{attachment.storage_key}?")
    assert "X-Amz-Signature=sig" in location
    assert "ResponseContentDisposition=attachment;%20filename=%22shot.png%22" in location
    assert "ResponseContentType=image/png" in location
    assert response["Cache-Control"] == "private, no-store"
