"""Upload bodies refused on their declared size, before a byte of them is read.

Django's ASGI handler reads a request's whole body (into a temporary file past 2.5 MB) before
any view or middleware runs, so the upload view's own limit (chat.attachments.uploads) comes
after the body is on disk. This wrapper answers 413 at once when an attachment upload declares
a Content-Length over ATTACHMENT_MAX_BYTES plus the multipart wrapping, without reading the
body at all. Under uvicorn the body is then never received; daphne receives every body whole
before the application sees the request, so there the limit that keeps a huge body off the
server is the proxy's (deploy/nginx.conf), and this one spares the second copy. The answer goes
out before Django's middleware, so it carries no CORS headers (nor does the proxy's 413).
"""

import json
import re
from typing import Any

from django.conf import settings

from chat.attachments.uploads import MULTIPART_OVERHEAD_BYTES

UPLOAD_PATH = re.compile(r"^/api/requests/[^/]+/attachments/$")
_TOO_LARGE = json.dumps(
    {"detail": "The request body is too large.", "code": "payload_too_large"}
).encode()


def refuse_oversized_uploads(application: Any) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _declared_too_large(scope):
            await _answer_413(send)
            return
        await application(scope, receive, send)

    return app


def _declared_too_large(scope: Any) -> bool:
    if scope.get("method") != "POST" or not UPLOAD_PATH.match(scope.get("path", "")):
        return False
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                return False  # Django answers a malformed length itself
            return declared > settings.ATTACHMENT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
    return False


async def _answer_413(send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_TOO_LARGE)).encode()),
                # The body was not read: the connection cannot carry another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _TOO_LARGE})
