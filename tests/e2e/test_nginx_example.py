"""deploy/nginx.conf in front of two real daphne processes: one address, sockets and REST
calls spread over both, and no token in nginx's access log. Skipped where nginx is not
installed."""

import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, active_pair
from tests.e2e.servers import REPO_ROOT, DaphneServer, free_port

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = [*E2E, pytest.mark.skipif(NGINX is None, reason="nginx is not installed")]


def _site_config(servers: list[DaphneServer], port: int, log_dir: Path) -> str:
    """The example, pointed at this test's processes, port and log directory."""
    site = (REPO_ROOT / "deploy" / "nginx.conf").read_text()
    upstreams = "".join(f"    server 127.0.0.1:{server.port};\n" for server in servers)
    site = re.sub(r"(    server 127\.0\.0\.1:800\d[^\n]*\n)+", upstreams, site)
    # Only the HTTPS server, served as plain HTTP on the test's port.
    site = re.sub(r"server \{\n    listen 80;.*?\n\}\n", "", site, count=1, flags=re.DOTALL)
    site = re.sub(r"listen 443 ssl;\n\s*listen \[::\]:443 ssl;", f"listen 127.0.0.1:{port};", site)
    site = re.sub(r"\n\s*ssl_certificate(_key)? [^\n]*;", "", site)
    return site.replace("/var/log/nginx/expert-support.access.log", str(log_dir / "nginx.log"))


@pytest.fixture
def nginx(two_servers: list[DaphneServer], tmp_path: Path) -> Iterator[SimpleNamespace]:
    assert NGINX is not None  # the module is skipped without it
    port = free_port()
    (tmp_path / "site.conf").write_text(_site_config(two_servers, port, tmp_path))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/nginx-error.log;\n"
        "events {}\n"
        f"http {{\n  client_body_temp_path {tmp_path};\n  include {tmp_path}/site.conf;\n}}\n"
    )
    process = subprocess.Popen(
        [NGINX, "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "nginx-stderr.log").open("wb"),
    )
    try:
        _wait_for_healthz(f"http://127.0.0.1:{port}/healthz", process, tmp_path)
        yield SimpleNamespace(ws_url=f"ws://127.0.0.1:{port}/ws/", log=tmp_path / "nginx.log")
    finally:
        process.terminate()
        process.wait(timeout=5)


def _wait_for_healthz(url: str, process: subprocess.Popen, log_dir: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(
        "nginx did not come up: " + (log_dir / "nginx-stderr.log").read_text(errors="replace")
    )


async def test_two_processes_behind_the_example_nginx_serve_one_chat_over_one_address(
    nginx, two_servers
):
    pair = await active_pair()
    # Two sockets open at once: least_conn puts them on different processes.
    user = await Socket.open(nginx, pair.user_token, carrier="query")
    expert = await Socket.open(nginx, pair.expert_token, carrier="subprotocol")
    try:
        await user.join(pair.request_id)
        await expert.join(pair.request_id)
        await user.say(pair.request_id, "through the proxy")
        await expert.wait_for_messages(pair.request_id, 1, timeout=5)
        await expert.say(pair.request_id, "loud and clear")
        received = await user.wait_for_messages(pair.request_id, 2, timeout=5)

        assert [m["content"] for m in received] == ["through the proxy", "loud and clear"]
        assert expert.connection.subprotocol == "bearer"
    finally:
        await user.close()
        await expert.close()

    served = [server for server in two_servers if "WSCONNECT /ws/" in server.output()]
    assert len(served) == 2, "least_conn should have put the two sockets on different processes"
    log = nginx.log.read_text()
    assert "GET /ws/ HTTP/1.1" in log
    assert pair.user_token not in log
