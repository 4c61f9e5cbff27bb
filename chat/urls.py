from django.urls import path

from chat.apis import RequestMessagesApi

urlpatterns = [
    path(
        "requests/<uuid:request_id>/messages/",
        RequestMessagesApi.as_view(),
        name="request-messages",
    ),
]
