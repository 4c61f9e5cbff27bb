"""Faults injected into real services while pairs chat (SPEC part 2, "Reliability").

Each fault (tests/e2e/faults/scenarios.py) is run once for the whole module
(tests/e2e/faults/run.py): six customer/expert pairs chat across two server processes against a
PostgreSQL and a Redis of the tests' own, something is broken, the clients reconnect and resend
as docs/websocket.md tells them to, and the tests below judge what was recorded. Each test is
one guarantee, for the faults it applies to; the figures measured (recovery times, reconnects)
are printed in the run's terminal summary, under "fault injection".

Where the specified behaviour is not built yet, the test is marked `xfail(strict=True)` with
the missing piece named: remove the mark when it lands (a strict xfail that passes fails).
"""

import pytest

from tests.e2e.faults.outcome import RECOVERY_SECONDS, SUMMARIES, Outcome
from tests.e2e.faults.participant import ANSWER_SECONDS
from tests.e2e.faults.run import SHUTDOWN_DRAIN_SECONDS, run_scenario
from tests.e2e.faults.scenarios import EXIT_GRACE_SECONDS, FAULTS

pytestmark = pytest.mark.e2e

EVERY_FAULT = list(FAULTS)
OUTAGES = ["postgres-restart", "postgres-down", "redis-restart", "redis-down"]
# The outages held long enough for the health endpoints to be asked while the service is down.
LONG_OUTAGES = ["postgres-down", "redis-down"]


@pytest.fixture(scope="module")
def outcome(request, throwaway_services, django_db_blocker, tmp_path_factory) -> Outcome:
    """One run of the fault named by the test's parameter, shared by every test of it."""
    fault = FAULTS[request.param]()
    with django_db_blocker.unblock():
        result = run_scenario(fault, throwaway_services, tmp_path_factory.mktemp(request.param))
    request.config.stash.setdefault(SUMMARIES, []).append(f"{fault.name}: {result.summary()}")
    return result


# --- every fault -----------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", EVERY_FAULT, indirect=True)
def test_every_acknowledged_message_is_stored_and_reaches_the_other_participant(outcome):
    assert outcome.acknowledged_but_lost() == []


@pytest.mark.parametrize("outcome", EVERY_FAULT, indirect=True)
def test_every_message_is_stored_once_without_gaps_and_acknowledged_in_the_end(outcome):
    assert outcome.stored_but_never_acknowledged() == []


@pytest.mark.parametrize("outcome", EVERY_FAULT, indirect=True)
def test_every_socket_receives_each_seq_once_and_in_order(outcome):
    assert outcome.duplicates_or_gaps() == []


@pytest.mark.parametrize("outcome", EVERY_FAULT, indirect=True)
def test_messages_flow_again_within_5_seconds_of_the_service_returning(outcome):
    recovery = outcome.recovery_seconds()
    assert recovery is not None, "some participant never heard from the other again"
    assert recovery <= RECOVERY_SECONDS


@pytest.mark.parametrize("outcome", EVERY_FAULT, indirect=True)
def test_users_who_never_disconnected_are_never_shown_offline(outcome):
    assert outcome.shown_offline_while_connected() == []


@pytest.mark.parametrize("outcome", EVERY_FAULT, indirect=True)
def test_everyone_connected_is_online_in_the_database_afterwards(outcome):
    offline = [p.name for p in outcome.participants if not outcome.online.get(p.user_id)]
    assert offline == []


@pytest.mark.parametrize("outcome", EVERY_FAULT, indirect=True)
def test_the_other_participant_is_last_told_everyone_connected_is_online(outcome):
    assert outcome.presence_not_corrected() == []


# --- PostgreSQL or Redis down ------------------------------------------------------------------


@pytest.mark.parametrize("outcome", OUTAGES, indirect=True)
def test_open_sockets_stay_open_through_the_outage(outcome):
    assert outcome.sockets_closed_by_the_server() == []


@pytest.mark.parametrize("outcome", OUTAGES, indirect=True)
def test_every_frame_sent_during_the_outage_is_answered_within_5_seconds(outcome):
    assert outcome.frames_left_unanswered() == []


@pytest.mark.parametrize("outcome", OUTAGES, indirect=True)
def test_a_frame_that_needs_the_missing_service_gets_server_error(outcome):
    """Joining a room nobody has joined needs the database and a new Redis subscription."""
    answers = outcome.probe_answers()
    assert len(answers) == len(outcome.chats)
    assert [answer and (answer["type"], answer.get("code")) for answer in answers] == [
        ("error", "server_error")
    ] * len(answers)
    assert {error["code"] for error in outcome.errors_in_outage()} == {"server_error"}


@pytest.mark.parametrize("outcome", OUTAGES, indirect=True)
def test_server_error_tells_the_client_when_to_retry(outcome):
    errors = outcome.errors_in_outage()
    assert errors
    assert [error for error in errors if not _positive_number(error.get("retry_after"))] == []


def _positive_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


@pytest.mark.parametrize("outcome", LONG_OUTAGES, indirect=True)
def test_readiness_fails_while_the_service_is_down(outcome):
    readiness = [probe for probe in outcome.health if probe.path == "/healthz"]
    assert len(readiness) == 2
    assert [(p.server, p.status) for p in readiness] == [("A", 503), ("B", 503)]
    assert all(probe.seconds <= ANSWER_SECONDS for probe in readiness)


@pytest.mark.parametrize("outcome", LONG_OUTAGES, indirect=True)
def test_liveness_holds_while_the_service_is_down(outcome):
    liveness = [probe for probe in outcome.health if probe.path == "/healthz/live"]
    assert [(p.server, p.status) for p in liveness] == [("A", 200), ("B", 200)]
    assert all(probe.seconds <= ANSWER_SECONDS for probe in liveness)


@pytest.mark.parametrize("outcome", OUTAGES, indirect=True)
def test_the_outage_is_logged_once_when_it_starts_and_once_when_it_ends(outcome):
    assert outcome.loud_outage_logs() == {}


# --- a worker killed -------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["worker-killed"], indirect=True)
def test_the_launcher_replaces_a_killed_worker(outcome):
    sockets = outcome.facts["sockets_per_worker"]
    assert isinstance(sockets, dict)
    assert len(sockets) == 2, "the pairs did not chat on both workers"
    assert outcome.facts["replaced_after_s"] is not None


# --- SIGTERM ---------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["sigterm"], indirect=True)
def test_a_terminated_process_stops_accepting_handshakes(outcome):
    assert outcome.facts["handshakes_accepted_after_sigterm"] == []


@pytest.mark.parametrize("outcome", ["sigterm"], indirect=True)
def test_a_terminated_process_closes_its_sockets_with_1001_within_the_drain_time(outcome):
    closes = outcome.facts["victim_closes"]
    assert isinstance(closes, list)
    assert closes, "no socket was on the terminated process"
    late = [
        (name, code, seconds)
        for name, code, seconds in closes
        if code != 1001 or seconds is None or seconds > SHUTDOWN_DRAIN_SECONDS
    ]
    assert late == []


@pytest.mark.parametrize("outcome", ["sigterm"], indirect=True)
def test_a_terminated_process_exits_once_drained(outcome):
    exited = outcome.facts["exited_after_s"]
    assert exited is not None, "still running"
    assert isinstance(exited, float)
    assert exited <= SHUTDOWN_DRAIN_SECONDS + EXIT_GRACE_SECONDS
