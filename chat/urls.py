from django.urls import path

from chat.apis import RequestMessagesApi, RequestReadApi

urlpatterns = [
    path(
        "requests/<uuid:request_id>/messages/",
        RequestMessagesApi.as_view(),
        name="request-messages",
    ),
    path("requests/<uuid:request_id>/read/", RequestReadApi.as_view(), name="request-read"),
]
