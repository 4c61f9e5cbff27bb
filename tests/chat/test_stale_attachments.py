"""Uploads that no message claimed are deleted after 24 hours, rows and files, by
`manage.py delete_stale_attachments` (and the service a worker calls)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from chat.attachments.services import attachment_upload, attachments_delete_stale
from chat.models import Attachment
from chat.services import message_post
from core.errors import InvalidInput
from tests.factories import ActiveRequestFactory
from tests.helpers.attachments import PNG, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


def upload(request, *, hours_ago: float) -> Attachment:
    attachment = attachment_upload(
        request_id=request.pk, uploader=request.requester, file=SimpleUploadedFile("a.png", PNG)
    )
    created_at = timezone.now() - timedelta(hours=hours_ago)
    Attachment.objects.filter(pk=attachment.pk).update(created_at=created_at)
    return attachment


def test_the_command_deletes_old_unattached_uploads_rows_and_files():
    chat = ActiveRequestFactory.create()
    stale = upload(chat, hours_ago=25)
    fresh = upload(chat, hours_ago=23)
    carried = upload(chat, hours_ago=48)
    message_post(request_id=chat.pk, sender=chat.requester, content="", attachment_ids=[carried.pk])
    output = StringIO()

    call_command("delete_stale_attachments", stdout=output)

    assert set(Attachment.objects.values_list("pk", flat=True)) == {fresh.pk, carried.pk}
    kept = {path.name for path in stored_files()}
    assert kept == {fresh.storage_key.rsplit("/", 1)[1], carried.storage_key.rsplit("/", 1)[1]}
    assert stale.storage_key.rsplit("/", 1)[1] not in kept
    assert output.getvalue().strip() == "Deleted 1 unattached upload(s)."


def test_a_file_already_gone_is_no_error():
    chat = ActiveRequestFactory.create()
    upload(chat, hours_ago=30)
    for path in stored_files():
        path.unlink()

    assert attachments_delete_stale() == 1
    assert not Attachment.objects.exists()


def test_the_age_is_an_option():
    chat = ActiveRequestFactory.create()
    upload(chat, hours_ago=2)

    call_command("delete_stale_attachments", "--hours", "1", stdout=StringIO())

    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_files_are_deleted_only_once_the_rows_deletion_commits(monkeypatch):
    chat = ActiveRequestFactory.create()
    upload(chat, hours_ago=30)

    def failing_delete(*args, **kwargs):
        raise RuntimeError("the database fails")

    monkeypatch.setattr("django.db.models.query.QuerySet.delete", failing_delete)
    with pytest.raises(RuntimeError):
        attachments_delete_stale()

    assert len(stored_files()) == 1
    assert Attachment.objects.count() == 1


def test_an_upload_deleted_as_stale_can_no_longer_be_attached():
    chat = ActiveRequestFactory.create()
    stale = upload(chat, hours_ago=30)
    attachments_delete_stale()

    with pytest.raises(InvalidInput):
        message_post(
            request_id=chat.pk, sender=chat.requester, content="", attachment_ids=[stale.pk]
        )
