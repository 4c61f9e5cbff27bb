from typing import Any

from django.urls import path, re_path

from chat.consumer import ChatConsumer
from chat.hub import ProcessHub
from chat.middleware import HandshakeDenier


def websocket_urlpatterns(*, hub: ProcessHub) -> list[Any]:
    # Django's path() routes ASGI consumers as well as views; its type hints only know views.
    return [
        path("ws/", ChatConsumer.as_asgi(hub=hub)),  # type: ignore[arg-type]
        # Every other path is refused as a bad token is (HTTP 403). channels' URLRouter raises
        # for a path it cannot route: a 500 and a traceback in the log, for anyone who asks.
        re_path(r"", HandshakeDenier.as_asgi()),  # type: ignore[arg-type]
    ]
