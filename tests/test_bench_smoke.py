"""The load benchmark's harness works end to end (not a timed test: CI runs `make bench`)."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings

from tests.helpers.markers import requires_services

REPO_ROOT = Path(__file__).resolve().parent.parent


@requires_services
def test_smoke_scenario_delivers_every_message_once_in_order_and_stores_it(tmp_path):
    results = tmp_path / "smoke.json"
    env = {
        **os.environ,
        "REDIS_PREFIX": f"{settings.REDIS_PREFIX}-smoke-{uuid.uuid4().hex[:8]}",
    }

    run = subprocess.run(
        [sys.executable, "-m", "bench", "smoke", "--workers", "2", "--json", str(results)],
        cwd=REPO_ROOT,
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    (report,) = json.loads(results.read_text())["reports"]
    assert report["ok"]
    assert report["integrity"]["stored"] == sum(phase["sent"] for phase in report["phases"])
    assert all(phase["received"] == phase["sent"] > 0 for phase in report["phases"])
    # Which worker holds each socket, and each pair's sender: counted from the server's side.
    senders, sockets = report["senders_per_worker"], report["sockets_per_worker"]
    assert set(senders) <= set(sockets)
    assert 0 < 2 * sum(senders.values()) <= sum(sockets.values())
