"""config.daphne_main gives daphne the frame limit of the settings unless told otherwise."""

import inspect

from django.conf import settings

from config.daphne_main import with_frame_limits


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
