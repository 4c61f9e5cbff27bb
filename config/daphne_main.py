"""`python -m config.daphne_main [daphne options] config.asgi:application`

Exactly the `daphne` command, with one protocol option changed: a WebSocket frame over
`--websocket-max-message-size` is answered with a close frame carrying 1009 ("message too big"),
as SPEC requires, instead of autobahn's default of silently dropping the TCP connection, which
clients see as an unexplained 1006.
"""

from daphne import server
from daphne.cli import CommandLineInterface


class WebSocketFactory(server.WebSocketFactory):
    def setProtocolOptions(self, **options) -> None:
        super().setProtocolOptions(failByDrop=False, **options)


def main() -> None:
    # daphne.server builds its factory from this module attribute when the server starts.
    server.WebSocketFactory = WebSocketFactory
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
