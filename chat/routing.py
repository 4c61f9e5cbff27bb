from django.urls import URLPattern, path

from chat.consumer import ChatConsumer
from chat.hub import ProcessHub


def websocket_urlpatterns(*, hub: ProcessHub) -> list[URLPattern]:
    return [path("ws/", ChatConsumer.as_asgi(hub=hub))]
