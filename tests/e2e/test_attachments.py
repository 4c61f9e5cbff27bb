"""Attachments through real server processes: a customer uploads over REST to one process and
sends the message over its socket; the expert, on the other process, hears it with the
attachment and downloads the file. Uploads over the limit are refused with nothing stored."""

import asyncio
import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, active_pair, in_db
from tests.e2e.servers import DaphneServer
from tests.helpers.attachments import PNG

pytestmark = E2E

LIMIT = 1024 * 1024


def _http(request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


async def upload(
    server: DaphneServer, token: str, request_id, content: bytes, name: str
) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{server.http_url}/api/requests/{request_id}/attachments/",
        data=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "application/json",
        },
    )
    status, _, answer = await asyncio.to_thread(_http, request)
    return status, json.loads(answer)


async def download(server: DaphneServer, token: str | None, path: str):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"{server.http_url}{path}", headers=headers)
    return await asyncio.to_thread(_http, request)


def _stored_rows() -> int:
    from chat.models import Attachment

    return Attachment.objects.count()


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def test_an_upload_on_one_process_reaches_the_other_side_and_downloads(
    launch_servers, tmp_path
):
    media = tmp_path / "media"
    server_a, server_b = launch_servers(2, MEDIA_ROOT=str(media))
    pair = await active_pair()
    user = await Socket.open(server_a, pair.user_token)
    expert = await Socket.open(server_b, pair.expert_token)
    try:
        await user.join(pair.request_id)
        await expert.join(pair.request_id)

        status, uploaded = await upload(server_a, pair.user_token, pair.request_id, PNG, "s.png")
        assert status == 201, uploaded
        await user.send(
            {
                "type": "send-message",
                "request_id": str(pair.request_id),
                "content": "the error",
                "attachment_ids": [uploaded["id"]],
                "ref": "with-file",
            }
        )
        heard = await expert.expect("new-message")
        ack = await user.expect("new-message", ref="with-file")

        assert heard["message"] == ack["message"]
        [attachment] = heard["message"]["attachments"]
        assert attachment == {key: uploaded[key] for key in attachment}
        assert attachment["content_type"] == "image/png"
        status, headers, content = await download(server_b, pair.expert_token, attachment["url"])
        assert status == 200
        assert content == PNG
        assert headers["Content-Type"] == "image/png"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Disposition"] == 'attachment; filename="s.png"'
        status, _, _ = await download(server_b, None, attachment["url"])
        assert status == 401
    finally:
        await user.close()
        await expert.close()


async def test_uploads_over_the_limit_are_413_and_leave_nothing_stored(launch_servers, tmp_path):
    media = tmp_path / "media"
    (server,) = launch_servers(1, MEDIA_ROOT=str(media), ATTACHMENT_MAX_BYTES=str(LIMIT))
    pair = await active_pair()

    # One byte over: refused while the body is parsed. Four times over: refused by its
    # Content-Length, before it is parsed.
    for size in (LIMIT + 1, 4 * LIMIT):
        status, answer = await upload(
            server, pair.user_token, pair.request_id, b"x" * size, "big.txt"
        )
        assert status == 413, answer
        assert answer["code"] == "payload_too_large"
    status, _ = await upload(server, pair.user_token, pair.request_id, b"x" * LIMIT, "ok.txt")

    assert status == 201
    assert await in_db(_stored_rows) == 1
    assert len(_files(media)) == 1
