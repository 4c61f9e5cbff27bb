"""A request that fails is one line in the server's log, not two."""

import asyncio
import urllib.error
import urllib.request

from tests.e2e.scenario import E2E
from tests.e2e.servers import DaphneServer

pytestmark = E2E


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


async def test_a_client_error_is_logged_once(shared_server: DaphneServer):
    url = f"{shared_server.http_url}/api/requests/"

    assert await asyncio.to_thread(status_of, url) == 401
    await asyncio.sleep(0.3)  # the access log line is written after the answer

    assert shared_server.output().count("/api/requests/") == 1


def post_raw(url: str, body: bytes, content_type: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status), response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.headers["Content-Type"] or "", error.read()


async def test_a_malformed_multipart_body_is_answered_by_the_api_as_json(shared_server):
    boundary = "c637e12e2b1a998d80d1b087531af51c"
    status, content_type, body = await asyncio.to_thread(
        post_raw,
        f"{shared_server.http_url}/api/auth/login/",
        f"--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )

    assert status == 400
    assert content_type.startswith("application/json"), (content_type, body)
