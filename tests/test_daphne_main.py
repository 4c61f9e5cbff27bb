"""config.daphne_main gives daphne the frame limit of the settings unless told otherwise, and runs
it on the event loop DAPHNE_EVENT_LOOP names."""

import inspect
import subprocess

from django.conf import settings

from config.daphne_main import with_frame_limits
from tests.helpers.settings_process import run_with_settings


def test_the_settings_limit_is_added_when_no_limit_is_given():
    limit = str(settings.WS_MAX_FRAME_BYTES)

    argv = with_frame_limits(
        ["-p", "8001", "config.asgi:application"], limit=settings.WS_MAX_FRAME_BYTES
    )

    assert argv == [
        "--websocket-max-message-size",
        limit,
        "--websocket-max-frame-size",
        limit,
        "-p",
        "8001",
        "config.asgi:application",
    ]


def test_a_limit_given_on_the_command_line_wins():
    argv = with_frame_limits(
        ["--websocket-max-message-size=1024", "--websocket-max-frame-size", "512", "app"],
        limit=65536,
    )

    assert argv == ["--websocket-max-message-size=1024", "--websocket-max-frame-size", "512", "app"]


def test_twisted_still_takes_the_switch_that_leaves_form_bodies_to_django():
    from twisted.web.http import Request

    assert "parsePOSTFormSubmission" in inspect.signature(Request.__init__).parameters


# What daphne's server module runs on, in a fresh interpreter (the loop is made when that module
# is first imported, so it cannot be chosen again in this one).
LOOP_OF_DAPHNE = (
    "from django.conf import settings; "
    "from config.daphne_main import use_event_loop; "
    "print(use_event_loop(settings.DAPHNE_EVENT_LOOP)); "
    "import daphne.server; print(type(daphne.server.twisted_loop).__module__)"
)


def _loop_of_daphne(**env: str) -> subprocess.CompletedProcess:
    return run_with_settings(LOOP_OF_DAPHNE, env=env)


def test_daphne_runs_on_uvloop_unless_told_otherwise():
    default = _loop_of_daphne()
    chosen = _loop_of_daphne(DAPHNE_EVENT_LOOP="asyncio")

    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["uvloop", "uvloop"]
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.split() == ["asyncio", "asyncio.unix_events"]


def test_an_unknown_event_loop_stops_start_up_naming_it():
    result = _loop_of_daphne(DAPHNE_EVENT_LOOP="trio")

    assert result.returncode != 0
    assert "DAPHNE_EVENT_LOOP='trio': use uvloop or asyncio." in result.stderr


def test_the_loop_cannot_be_chosen_once_daphne_made_its_own():
    script = (
        "import daphne.server; from config.daphne_main import use_event_loop; "
        "use_event_loop('uvloop')"
    )
    result = run_with_settings(script)

    assert "daphne.server was imported before its event loop was chosen" in result.stderr
