from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path


class RefuseConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.close()


websocket_urlpatterns = [path("ws/", RefuseConsumer.as_asgi())]
