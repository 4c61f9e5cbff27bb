"""What an operator sees of real server processes: `/metrics` of the launcher's workers, each
reporting all of them, and JSON log lines that carry the request and socket ids and no secret."""

import asyncio
import json
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, active_pairs
from tests.e2e.servers import start_launcher

pytestmark = E2E

TOKEN = "a-scrapers-token-0123456789"
PASSWORD = "a-long-passphrase-9"


def scrape(http_url: str) -> list:
    request = urllib.request.Request(
        f"{http_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        families = text_string_to_metric_families(response.read().decode())
        return [sample for family in families for sample in family.samples]


def total(samples: list, name: str) -> float:
    return sum(sample.value for sample in samples if sample.name == name)


async def test_any_worker_of_the_launcher_reports_the_metrics_of_every_worker(tmp_path):
    launcher = await asyncio.to_thread(start_launcher, 2, tmp_path, METRICS_TOKEN=TOKEN)
    sockets: list[Socket] = []
    try:
        worker_pids = {str(worker.pid) for worker in launcher.workers()}
        pairs = await active_pairs(4)
        for pair in pairs:
            user = await Socket.open(launcher, pair.user_token)
            expert = await Socket.open(launcher, pair.expert_token)
            sockets += [user, expert]
            await user.join(pair.request_id)
            await expert.join(pair.request_id)
            await user.say(pair.request_id, "hello")
            await expert.expect("new-message")
        await asyncio.sleep(0.2)

        # Each scrape is answered by whichever worker the kernel hands the connection to.
        for _ in range(4):
            samples = await asyncio.to_thread(scrape, launcher.http_url)
            open_sockets = {
                sample.labels["pid"]: sample.value
                for sample in samples
                if sample.name == "expert_support_websocket_open_sockets"
            }
            assert set(open_sockets) == worker_pids
            assert sum(open_sockets.values()) == 8
            assert total(samples, "expert_support_websocket_handshakes_accepted_total") == 8
            assert total(samples, "expert_support_messages_stored_total") == 4
            assert total(samples, "expert_support_broadcast_latency_seconds_count") == 4
            assert total(samples, "expert_support_websocket_frames_received_total") == 12

        for socket in sockets:
            await socket.close()
        sockets = []
        await asyncio.sleep(0.5)
        samples = await asyncio.to_thread(scrape, launcher.http_url)
        assert total(samples, "expert_support_websocket_open_sockets") == 0
        assert total(samples, "expert_support_messages_stored_total") == 4
    finally:
        for socket in sockets:
            await socket.close()
        await asyncio.to_thread(launcher.stop)


def post_json(url: str, body: dict, headers: dict[str, str]) -> tuple[int, str, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers["X-Request-ID"], json.loads(response.read())


def get(url: str, token: str) -> str:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-Request-ID"]


def request_id_given(url: str, offered: str) -> str:
    request = urllib.request.Request(url, headers={"X-Request-ID": offered})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-Request-ID"]


def json_records(text: str) -> list[dict]:
    """Every line the process wrote, each of which must be a JSON object."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


async def test_json_log_lines_carry_the_request_and_socket_ids_and_no_secret(launch_servers):
    (server,) = launch_servers(1, LOG_FORMAT="json", PROXY_HEADERS="true")

    status, proxy_id, signed_up = await asyncio.to_thread(
        post_json,
        f"{server.http_url}/api/auth/register/",
        {"email": "ana@example.com", "password": PASSWORD, "name": "Ana"},
        {"X-Request-ID": "nginx-4f2a9c"},
    )
    token, user_id = signed_up["access"], signed_up["user"]["id"]
    own_id = await asyncio.to_thread(get, f"{server.http_url}/api/me/", token)
    socket = await Socket.open(server, token, carrier="query")
    await socket.close()
    await asyncio.sleep(0.5)

    assert (status, proxy_id) == (201, "nginx-4f2a9c")  # trusted: the proxy's id, given back
    records = json_records(server.output())
    access = {record["path"]: record for record in records if record["logger"] == "config.access"}
    assert access["/api/auth/register/"]["request_id"] == "nginx-4f2a9c"
    assert access["/api/me/"]["request_id"] == own_id
    assert access["/api/me/"]["status"] == 200
    assert {"time", "level", "message", "duration_ms"} <= access["/api/me/"].keys()
    sockets = [record for record in records if record["logger"] == "chat.sockets"]
    assert [record["message"].split(" (")[0] for record in sockets] == [
        "socket opened",
        "socket closed",
    ]
    assert {record["user_id"] for record in sockets} == {user_id}
    assert len({record["socket_id"] for record in sockets}) == 1
    output = server.output()
    assert PASSWORD not in output
    assert token not in output
    assert token.split(".")[2] not in output  # not even the signature alone


async def test_an_untrusted_request_id_is_replaced_by_one_of_the_servers(launch_servers):
    (server,) = launch_servers(1, LOG_FORMAT="json")
    given = await asyncio.to_thread(
        request_id_given, f"{server.http_url}/healthz/live", "chosen-by-the-client"
    )
    await asyncio.sleep(0.3)

    assert given != "chosen-by-the-client"
    assert len(given) == 32
    records = json_records(server.output())
    (line,) = [record for record in records if record.get("path") == "/healthz/live"]
    assert line["request_id"] == given
