from typing import Any

from django.urls import path

from chat.consumer import ChatConsumer
from chat.hub import ProcessHub


def websocket_urlpatterns(*, hub: ProcessHub) -> list[Any]:
    # Django's path() routes ASGI consumers as well as views; its type hints only know views.
    return [path("ws/", ChatConsumer.as_asgi(hub=hub))]  # type: ignore[arg-type]
