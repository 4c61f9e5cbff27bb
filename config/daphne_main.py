"""`python -m config.daphne_main [daphne options] config.asgi:application`

The `daphne` command, with three differences:
- a WebSocket frame over the size limit is answered with a close frame carrying 1009 ("message
  too big"), as SPEC requires, instead of autobahn's default of silently dropping the TCP
  connection, which clients see as an unexplained 1006;
- the limit is settings.WS_MAX_FRAME_BYTES unless `--websocket-max-message-size` or
  `--websocket-max-frame-size` say otherwise, so every way of starting the server (make run,
  config.serve, the systemd unit, the tests) applies the same one;
- Twisted does not parse form bodies itself: daphne hands the raw body to Django anyway, and
  Twisted answers a malformed multipart body with a bare 400 (no content type, no body) before
  the application sees it; the API then answers it like any other bad input (JSON 400).
"""

import os
import sys
from typing import Any

from daphne import http_protocol, server
from daphne.cli import CommandLineInterface

FRAME_LIMIT_OPTIONS = ("--websocket-max-message-size", "--websocket-max-frame-size")


class WebSocketFactory(server.WebSocketFactory):
    def setProtocolOptions(self, **options: object) -> None:
        super().setProtocolOptions(failByDrop=False, **options)


class WebRequest(http_protocol.WebRequest):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)


class HTTPFactory(http_protocol.HTTPFactory):
    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = WebRequest
        return protocol


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


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    sys.argv[1:] = with_frame_limits(sys.argv[1:], limit=settings.WS_MAX_FRAME_BYTES)
    # daphne.server builds its factories from these module attributes when the server starts.
    server.WebSocketFactory = WebSocketFactory
    server.HTTPFactory = HTTPFactory
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
