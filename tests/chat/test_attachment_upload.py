"""POST requests/{id}/attachments/: who may upload, the size limit, types detected from the bytes,
names kept for display only; nothing is stored when an upload is refused."""

from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from chat.attachments.services import attachment_upload
from chat.models import Attachment
from support.models import RequestStatus, SupportRequest
from tests.factories import ActiveRequestFactory, AdminFactory, UserFactory
from tests.helpers.api import client_for
from tests.helpers.attachments import (
    BINARY,
    ELF,
    GIF,
    JPEG,
    PDF,
    PNG,
    TEXT,
    WEBP,
    ZIP,
    stored_files,
    upload,
    upload_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat() -> SupportRequest:
    return ActiveRequestFactory.create()


def nothing_stored() -> bool:
    return not Attachment.objects.exists() and stored_files() == []


@pytest.mark.parametrize(
    ("content", "name", "detected"),
    [
        (PNG, "screen.png", "image/png"),
        (JPEG, "photo.jpg", "image/jpeg"),
        (GIF, "anim.gif", "image/gif"),
        (WEBP, "pic.webp", "image/webp"),
        (PDF, "invoice.pdf", "application/pdf"),
        (TEXT, "log.txt", "text/plain"),
    ],
)
def test_participants_upload_each_allowed_type_and_get_201(chat, content, name, detected):
    response = upload(client_for(chat.requester), chat, content, name)

    assert response.status_code == 201, response.data
    body = response.data
    assert set(body) == {"id", "name", "size", "content_type", "url", "created_at"}
    assert (body["name"], body["size"], body["content_type"]) == (name, len(content), detected)
    assert body["url"] == f"/api/attachments/{body['id']}/download/"
    attachment = Attachment.objects.get(pk=body["id"])
    assert attachment.message is None
    assert attachment.uploader == chat.requester
    [stored] = stored_files()
    assert stored.read_bytes() == content


def test_the_expert_uploads_too(chat):
    assert upload(client_for(chat.expert), chat).status_code == 201


def test_the_type_comes_from_the_bytes_not_the_name_or_the_header(chat):
    response = upload(client_for(chat.requester), chat, PDF, "cat.png", content_type="image/png")

    assert response.data["content_type"] == "application/pdf"
    assert response.data["name"] == "cat.png"


def test_the_stored_name_is_made_up_by_the_server(chat):
    response = upload(client_for(chat.requester), chat, PNG, "../../etc/passwd")

    [stored] = stored_files()
    assert response.data["name"] == "passwd"
    assert stored.name != "passwd"
    assert stored.suffix == ".png"
    assert stored.parent.name == chat.pk.hex
    assert Path(Attachment.objects.get().storage_key).name == stored.name


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("C:\\Users\\ann\\report.pdf", "report.pdf"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("   spaced   out .txt  ", "spaced out .txt"),
        ("n" * 300 + ".pdf", "n" * 251 + ".pdf"),
    ],
)
def test_names_are_cleaned_up_for_display(chat, raw, shown):
    response = upload(client_for(chat.requester), chat, PDF, raw)

    assert response.status_code == 201
    assert response.data["name"] == shown


@pytest.mark.parametrize(
    ("content", "name"),
    [(ZIP, "archive.png"), (ELF, "tool.txt"), (BINARY, "data.txt"), (b"bad \xff utf-8", "x.txt")],
)
def test_types_not_allowed_are_415_and_nothing_is_stored(chat, content, name):
    response = upload(client_for(chat.requester), chat, content, name, content_type="text/plain")

    assert response.status_code == 415
    assert response.data["code"] == "unsupported_media_type"
    assert nothing_stored()


def test_text_with_control_characters_is_not_plain_text(chat):
    response = upload(client_for(chat.requester), chat, b"ok\x1b[31mred", "ansi.txt")

    assert response.status_code == 415


@override_settings(ATTACHMENT_TYPES=["application/pdf"])
def test_the_allowed_types_are_configurable(chat):
    client = client_for(chat.requester)

    assert upload(client, chat, PNG).status_code == 415
    assert upload(client, chat, PDF, "a.pdf").status_code == 201


def test_a_file_over_the_limit_is_413_and_nothing_is_stored(chat, settings):
    settings.ATTACHMENT_MAX_BYTES = 4 * 1024 * 1024
    # Over the limit by one byte, and big enough to go to a temporary file, not memory.
    content = TEXT + b"x" * (settings.ATTACHMENT_MAX_BYTES + 1 - len(TEXT))

    response = upload(client_for(chat.requester), chat, content, "big.txt")

    assert response.status_code == 413
    assert response.data["code"] == "payload_too_large"
    assert nothing_stored()


def test_a_file_of_exactly_the_limit_is_accepted(chat, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    content = b"y" * 1000

    assert upload(client_for(chat.requester), chat, content, "edge.txt").status_code == 201


def test_a_body_declared_over_the_limit_is_refused_before_it_is_parsed(chat, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    body = "--b\r\nContent-Disposition: form-data; name=file; filename=a.txt\r\n\r\nhi\r\n--b--\r\n"
    client = client_for(chat.requester)

    response = client.generic(
        "POST",
        upload_url(chat),
        body,
        content_type="multipart/form-data; boundary=b",
        CONTENT_LENGTH=str(1000 + 64 * 1024 + 1),
    )

    assert response.status_code == 413
    assert nothing_stored()


def test_an_empty_file_is_400(chat):
    response = upload(client_for(chat.requester), chat, b"", "empty.txt")

    assert response.status_code == 400
    assert "file" in response.data
    assert nothing_stored()


def test_no_file_is_400(chat):
    response = client_for(chat.requester).post(upload_url(chat), {}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.data


def test_json_is_415(chat):
    response = client_for(chat.requester).post(upload_url(chat), {"file": "x"}, format="json")

    assert response.status_code == 415


def test_outsiders_get_404_and_staff_403(chat):
    assert upload(client_for(UserFactory.create()), chat).status_code == 404
    assert upload(client_for(AdminFactory.create()), chat).status_code == 403
    assert nothing_stored()


def test_anonymous_gets_401(chat, api_client):
    assert upload(api_client, chat).status_code == 401


@pytest.mark.parametrize("status", [RequestStatus.CLOSED, RequestStatus.REQUESTED])
def test_a_request_that_is_not_active_is_409(status):
    chat = ActiveRequestFactory.create()
    SupportRequest.objects.filter(pk=chat.pk).update(
        status=status, expert=chat.expert if status == RequestStatus.CLOSED else None
    )

    response = upload(client_for(chat.requester), chat)

    assert response.status_code == 409
    assert response.data["code"] == "not_active"
    assert nothing_stored()


def test_when_the_storage_fails_no_row_is_left(chat, monkeypatch):
    def broken(self, name, content, max_length=None):
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", broken)

    with pytest.raises(OSError, match="disk full"):
        attachment_upload(
            request_id=chat.pk, uploader=chat.requester, file=SimpleUploadedFile("a.png", PNG)
        )
    assert nothing_stored()
