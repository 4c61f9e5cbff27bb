from django.urls import path

from integrations import apis

urlpatterns = [
    path("admin/webhooks/", apis.WebhookListCreateApi.as_view(), name="webhook-list"),
    path(
        "admin/webhooks/<uuid:endpoint_id>/", apis.WebhookDetailApi.as_view(), name="webhook-detail"
    ),
]
