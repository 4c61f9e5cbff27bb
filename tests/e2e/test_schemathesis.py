"""Schemathesis against a live server: thousands of generated requests, valid and not, each
answer checked against the published OpenAPI schema. No server error, no answer the schema does
not describe (status, content type, headers, body)."""

import subprocess
import sys

import pytest

from tests.e2e.scenario import E2E, access_token, in_db
from tests.e2e.servers import REPO_ROOT, DaphneServer
from tests.factories import AdminFactory, UserFactory

pytestmark = E2E

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
# Per role; generation stops there and the run reports what it found.
SECONDS_PER_ROLE = 40


def run_schemathesis(server: DaphneServer, token: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.e2e.schemathesis_cli",  # `st`, guarded against a CPython 3.11 bug
            "run",
            f"{server.http_url}/api/schema/",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--max-time",
            str(SECONDS_PER_ROLE),
            "--workers",
            "2",
            "--request-timeout",
            "10",
            "--no-color",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=SECONDS_PER_ROLE * 3,
        check=False,
    )


@pytest.mark.parametrize("factory", [AdminFactory, UserFactory], ids=["staff", "customer"])
async def test_generated_requests_get_only_answers_the_schema_describes(shared_server, factory):
    user = await in_db(factory.create)
    token = await in_db(access_token, user)

    result = run_schemathesis(shared_server, token)

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
