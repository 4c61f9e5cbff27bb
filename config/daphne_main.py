"""`python -m config.daphne_main [daphne options] config.asgi:application`

The `daphne` command, with what config.daphne_server adds (admission control of handshakes, a
graceful drain on SIGTERM, 1009 for oversized frames, no form parsing by Twisted), and the frame
size limit of settings.WS_MAX_FRAME_BYTES unless `--websocket-max-message-size` or
`--websocket-max-frame-size` say otherwise, so every way of starting the server (make run,
config.serve, the systemd unit, the tests) applies the same one. With LOG_FORMAT=json, daphne's
own access log is off: the application writes one in JSON, with the ids.
"""

import asyncio
import logging
import os
import sys
from typing import Any

FRAME_LIMIT_OPTIONS = ("--websocket-max-message-size", "--websocket-max-frame-size")


def with_frame_limits(argv: list[str], *, limit: int) -> list[str]:
    """`argv` with each frame-limit option that it does not set added, set to `limit`."""
    given = {arg.split("=", 1)[0] for arg in argv}
    added = [
        part
        for option in FRAME_LIMIT_OPTIONS
        if option not in given
        for part in (option, str(limit))
    ]
    return added + argv


class NoAccessLog:
    """daphne's access log, off: with LOG_FORMAT=json the application writes it instead, as JSON
    with the request id (config.request_id) or the socket and user ids (chat.sockets)."""

    def __init__(self, stream: Any) -> None:
        pass

    def __call__(self, protocol: Any, action: str, details: dict[str, Any]) -> None:
        pass


def use_event_loop(name: str) -> str:
    """Make the event loop daphne's server module creates, when it is first imported, a `name`
    one ("uvloop" or "asyncio"); the name of the loop it will be."""
    if "daphne.server" in sys.modules:
        raise RuntimeError("daphne.server was imported before its event loop was chosen")
    if name != "uvloop":
        return "asyncio"
    try:
        import uvloop
    except ImportError:
        logging.getLogger("config.daphne").warning(
            "DAPHNE_EVENT_LOOP=uvloop, but uvloop is not installed: running on asyncio's loop"
        )
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    use_event_loop(settings.DAPHNE_EVENT_LOOP)
    # Imported only now: daphne's server module makes its event loop (and Twisted's reactor on
    # it) when it is imported.
    from daphne import cli
    from daphne.cli import CommandLineInterface

    from config import daphne_server

    sys.argv[1:] = with_frame_limits(sys.argv[1:], limit=settings.WS_MAX_FRAME_BYTES)
    daphne_server.install()
    if settings.LOG_FORMAT == "json":
        cli.AccessLogGenerator = NoAccessLog
    CommandLineInterface.server_class = daphne_server.Server
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
