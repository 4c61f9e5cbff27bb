"""A real daphne process serves health, the schema and the auth flow against the test database."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VENV_BIN = Path(sys.executable).parent
STARTUP_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(tmp_path: Path, env: dict) -> str:
    """The database this test run uses, as a URL another process can open."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        return f"postgres://{credentials}@{host}/{db['NAME']}"
    # The SQLite test database lives in this process's memory: give the server a file of its own.
    url = f"sqlite:///{tmp_path / 'smoke.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=settings.BASE_DIR,
        env={**env, "DATABASE_URL": url},
        check=True,
        capture_output=True,
        timeout=120,
    )
    return url


def _wait_for_port(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"daphne exited with {server.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"daphne did not listen on {port} within {STARTUP_SECONDS}s:\n{log.read_text()}")


def _request(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


@pytest.fixture
def daphne_server(tmp_path):
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": os.environ.get("SECRET_KEY") or "smoke"}
    env["DATABASE_URL"] = _database_url(tmp_path, env)
    port = _free_port()
    log = tmp_path / "daphne.log"
    command = [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, "config.asgi:application"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, server, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_a_real_daphne_process_answers_health_schema_and_auth(daphne_server):
    status, health = _request(f"{daphne_server}/healthz")
    assert status == 200
    assert health["status"] == "ok"

    status, schema = _request(f"{daphne_server}/api/schema/?format=json")
    assert status == 200
    assert schema["openapi"].startswith("3.")

    credentials = {"email": "smoke@example.com", "password": "Smoke-Test-Secret-8"}
    status, registered = _request(
        f"{daphne_server}/api/auth/register/", {**credentials, "name": "Smoke"}
    )
    assert status == 201
    status, logged_in = _request(f"{daphne_server}/api/auth/login/", credentials)
    assert status == 200
    assert logged_in["user"]["id"] == registered["user"]["id"]
