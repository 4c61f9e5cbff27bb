"""Where the bytes live, and how a download reaches them.

The `attachments` storage of settings.STORAGES: the filesystem under MEDIA_ROOT by default,
served only by streaming it through the access-checked download view (nothing is published
under MEDIA_URL). Any other backend is taken to be remote (S3 through django-storages...): the
download view redirects to the storage's own URL for the file, which such a backend signs and
makes short-lived (querystring auth), asking it to serve the file as an attachment of the
detected type where it can.
"""

import inspect
import uuid
from collections.abc import AsyncIterator
from typing import IO, Any
from uuid import UUID

from asgiref.sync import sync_to_async
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from chat.attachments.detection import EXTENSIONS, TEXT
from chat.attachments.names import download_name
from chat.models import Attachment
from core.errors import NotFound

_CHUNK_BYTES = 64 * 1024
# Downloads are a participant's private files: never kept by shared caches, never rendered as
# a page (the type is detected, but a browser told to sniff could still try).
_DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
}


def attachment_storage() -> Storage:
    return storages["attachments"]


def new_storage_key(*, request_id: UUID | str, content_type: str) -> str:
    """Made up by the server, unguessable, and free of anything the client sent."""
    extension = EXTENSIONS.get(content_type, "bin")
    return f"attachments/{UUID(str(request_id)).hex}/{uuid.uuid4().hex}.{extension}"


def download_response(attachment: Attachment) -> HttpResponseBase:
    storage = attachment_storage()
    filename = download_name(attachment.name, attachment.content_type)
    if not isinstance(storage, FileSystemStorage):
        response: HttpResponseBase = HttpResponseRedirect(
            remote_url(storage, attachment.storage_key, filename=filename, attachment=attachment)
        )
    else:
        try:
            file = storage.open(attachment.storage_key, "rb")
        except FileNotFoundError:
            raise NotFound("The file of this attachment is gone.") from None
        response = FileResponse(_read_in_thread(file), content_type=_media_type(attachment))
        response["Content-Length"] = str(attachment.size)
        response["Content-Disposition"] = _disposition(filename)
    for header, value in _DOWNLOAD_HEADERS.items():
        response[header] = value
    return response


def remote_url(storage: Storage, key: str, *, filename: str, attachment: Attachment) -> str:
    """The storage's URL for the file. django-storages' S3 backend signs it (querystring auth,
    AWS_QUERYSTRING_EXPIRE seconds) and takes response headers for S3 to send with it."""
    if "parameters" in inspect.signature(storage.url).parameters:
        parameters = {
            "ResponseContentDisposition": _disposition(filename),
            "ResponseContentType": _media_type(attachment),
        }
        return storage.url(key, parameters=parameters)  # type: ignore[call-arg]
    return storage.url(key)


def _disposition(filename: str) -> str:
    # Never None when as_attachment is true.
    return content_disposition_header(True, filename) or "attachment"


def _media_type(attachment: Attachment) -> str:
    # Text was checked to be UTF-8 when it was uploaded.
    if attachment.content_type == TEXT:
        return f"{TEXT}; charset=utf-8"
    return attachment.content_type


async def _read_in_thread(file: IO[Any]) -> AsyncIterator[bytes]:
    """The file chunk by chunk, each read in a thread. A FileResponse of the file itself would
    be read whole into memory under ASGI, which serves sync iterators by listing them first."""
    read = sync_to_async(file.read, thread_sensitive=False)
    try:
        while chunk := await read(_CHUNK_BYTES):
            yield chunk
    finally:
        await sync_to_async(file.close, thread_sensitive=False)()
