"""The size limit of uploads, enforced while the body is parsed, never after it is held.

The upload view installs these handlers (`upload_handlers`) in place of settings'. The first
refuses a body whose Content-Length is already over the limit before a byte of it is parsed,
and counts the file bytes as the multipart parser streams them, stopping the upload as soon as
they pass the limit: the files written so far are closed (a temporary file is deleted) and the
answer is 413. The two that follow are Django's: a file stays in memory only when the whole
body is under FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), and goes to a temporary file on disk
otherwise.

What comes before the view bounds memory too: under ASGI, Django spools the body into a
SpooledTemporaryFile that moves to disk past FILE_UPLOAD_MAX_MEMORY_SIZE, and daphne (twisted)
buffers a body over 100 KB in a temporary file. A declared Content-Length over the limit is
refused before Django reads the body at all (config.body_limits); keeping a huge body off the
server altogether is the proxy's job (client_max_body_size in deploy/nginx.conf).
"""

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest

from core.errors import TooLarge

# What a multipart body may carry besides the file: boundaries, part headers, a long file name.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def too_large() -> TooLarge:
    return TooLarge(f"The file is over the limit of {settings.ATTACHMENT_MAX_BYTES} bytes.")


class UploadSizeLimit(FileUploadHandler):
    """Refuses (413) a body whose files add up to more than `max_bytes`, as soon as it is."""

    def __init__(self, request: HttpRequest | None = None, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.exceeded = False

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length > self.max_bytes + MULTIPART_OVERHEAD_BYTES:
            raise too_large()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.exceeded = True
            # The parser closes the files of every handler (deleting a temporary one) and
            # reads what is left of the body, at most MULTIPART_OVERHEAD_BYTES past the limit
            # given the check above; upload_complete then refuses the request.
            raise StopUpload(connection_reset=False)
        return raw_data  # on to the handler that keeps it

    def file_complete(self, file_size: int) -> None:
        return None

    def upload_complete(self) -> None:
        if self.exceeded:
            raise too_large()


def upload_handlers(request: HttpRequest) -> list[FileUploadHandler]:
    return [
        UploadSizeLimit(request, max_bytes=settings.ATTACHMENT_MAX_BYTES),
        MemoryFileUploadHandler(request),
        TemporaryFileUploadHandler(request),
    ]
