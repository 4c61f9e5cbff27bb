"""An attachment upload that declares a body over the limit is answered 413 before a byte of
it is read (config.body_limits), whatever server runs the application."""

import json

import pytest

from config.body_limits import refuse_oversized_uploads

PATH = "/api/requests/0b8c6c1e-5c53-4f0f-9a70-2f3c0f5b8a11/attachments/"


class Recorder:
    def __init__(self) -> None:
        self.called = False

    async def __call__(self, scope, receive, send) -> None:
        self.called = True


async def never_receive():
    raise AssertionError("the body was read")


def scope(path: str = PATH, length: str | None = None, method: str = "POST") -> dict:
    headers = [(b"content-type", b"multipart/form-data; boundary=b")]
    if length is not None:
        headers.append((b"content-length", length.encode()))
    return {"type": "http", "method": method, "path": path, "headers": headers}


async def run(app, scope_: dict) -> list[dict]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope_, never_receive, send)
    return sent


@pytest.fixture
def limit(settings) -> int:
    settings.ATTACHMENT_MAX_BYTES = 1000
    return 1000 + 64 * 1024


async def test_a_declared_length_over_the_limit_is_413_without_reading_the_body(limit):
    inner = Recorder()

    sent = await run(refuse_oversized_uploads(inner), scope(length=str(limit + 1)))

    assert not inner.called
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"]) == {
        "detail": "The request body is too large.",
        "code": "payload_too_large",
    }


@pytest.mark.parametrize(
    "request_scope",
    [
        scope(length="66536"),  # within the limit
        scope(),  # no length declared: the upload handlers count
        scope(length="not a number"),
        scope(path="/api/requests/x/messages/", length="99999999"),
        scope(length="99999999", method="GET"),
        {"type": "websocket", "path": PATH, "headers": []},
    ],
)
async def test_anything_else_goes_on_to_the_application(limit, request_scope):
    inner = Recorder()

    await run(refuse_oversized_uploads(inner), request_scope)

    assert inner.called
