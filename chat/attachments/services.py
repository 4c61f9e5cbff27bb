"""Uploading attachments, claiming them for a message, and deleting uploads never claimed."""

import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from chat.attachments.detection import detect_type
from chat.attachments.names import display_name
from chat.attachments.storage import attachment_storage, new_storage_key
from chat.attachments.uploads import too_large
from chat.models import Attachment, Message
from chat.selectors import active_request_for_participant
from core.errors import InvalidInput, UnsupportedType
from core.transactions import after_commit

logger = logging.getLogger(__name__)

# Uploads no message claimed within this long are deleted.
STALE_AFTER = timedelta(hours=24)
NOT_CLAIMABLE = (
    "Each attachment must be an upload of yours into this request that no message carries yet."
)
# Rows deleted per transaction by the clean-up.
_STALE_BATCH = 500


def attachment_upload(*, request_id: UUID | str, uploader: User, file: UploadedFile) -> Attachment:
    """Store an upload into the request's chat, unattached. The uploader must take part in the
    request (NotFound for outsiders, NotAllowed for staff) and it must be ACTIVE (NotActive);
    the file must be within ATTACHMENT_MAX_BYTES (TooLarge) and of a type in ATTACHMENT_TYPES,
    as detected from its bytes (UnsupportedType). Nothing is stored when any of these fails."""
    active_request_for_participant(request_id=request_id, user=uploader)
    size = file.size or 0
    if size == 0:
        raise InvalidInput(fields={"file": ["The submitted file is empty."]})
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise too_large()
    content_type = detect_type(file)
    if content_type is None or content_type not in settings.ATTACHMENT_TYPES:
        raise UnsupportedType(
            f"Files of this type ({content_type or 'unknown'}) are not accepted; allowed: "
            f"{', '.join(settings.ATTACHMENT_TYPES)}."
        )
    attachment = Attachment(
        request_id=request_id,
        uploader=uploader,
        storage_key=new_storage_key(request_id=request_id, content_type=content_type),
        name=display_name(file.name),
        size=size,
        content_type=content_type,
    )
    # The row first, then the bytes: a crash in between leaves a row the clean-up deletes (a
    # missing file is no error to it), never a file no row knows of.
    with transaction.atomic():
        attachment.save(force_insert=True)
    try:
        file.seek(0)
        stored_as = attachment_storage().save(attachment.storage_key, file)
    except BaseException:
        # Whatever part of the file the storage kept goes too, then the row.
        with contextlib.suppress(Exception):
            attachment_storage().delete(attachment.storage_key)
        with transaction.atomic():
            Attachment.objects.filter(pk=attachment.pk).delete()
        raise
    if stored_as != attachment.storage_key:
        # A backend may pick another name (it never should for a fresh random key).
        with transaction.atomic():
            Attachment.objects.filter(pk=attachment.pk).update(storage_key=stored_as)
        attachment.storage_key = stored_as
    return attachment


def attachments_claim(*, message: Message, attachment_ids: Sequence[UUID]) -> list[Attachment]:
    """Attach the uploads to `message`, in the message's transaction: each must be the
    sender's, in the message's request, and not attached yet; otherwise InvalidInput, and the
    caller's transaction (the message with it) rolls back. One conditional UPDATE decides, so of
    two messages racing for an upload exactly one gets it: the other's UPDATE waits for the
    winner's row lock, then finds the row attached and matches nothing."""
    claimed = Attachment.objects.filter(
        pk__in=attachment_ids,
        uploader_id=message.sender_id,
        request_id=message.request_id,
        message__isnull=True,
    ).update(message=message)
    if claimed != len(attachment_ids):  # a repeated id counts once: refused too
        raise InvalidInput(fields={"attachment_ids": [NOT_CLAIMABLE]})
    return list(Attachment.objects.filter(message=message))


def attachments_delete_stale(*, older_than: timedelta = STALE_AFTER) -> int:
    """Delete uploads no message claimed that are older than `older_than`, rows and files;
    returns how many. Each file is deleted once its row's deletion is committed (a file gone
    before its row would leave a row that cannot be downloaded). Safe to run in several
    processes at once: rows another run holds are skipped."""
    cutoff = timezone.now() - older_than
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                Attachment.objects.select_for_update(skip_locked=True)
                .filter(message__isnull=True, created_at__lt=cutoff)
                .values_list("pk", "storage_key")[:_STALE_BATCH]
            )
            if not batch:
                return deleted
            Attachment.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
            after_commit(_delete_files, [key for _, key in batch])
        deleted += len(batch)


def _delete_files(keys: list[str]) -> None:
    storage = attachment_storage()
    for key in keys:
        try:
            storage.delete(key)  # a file that is already gone is not an error
        except Exception:
            # The row is gone; the file is an orphan no one can reach. Say so and go on.
            logger.exception("could not delete the stale attachment file %s", key)
