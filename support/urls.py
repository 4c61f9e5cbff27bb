from django.urls import path

from support import apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="me"),
    path("experts/", apis.ExpertListApi.as_view(), name="expert-list"),
    path("experts/<uuid:expert_id>/", apis.ExpertDetailApi.as_view(), name="expert-detail"),
    path("admin/experts/", apis.AdminExpertCreateApi.as_view(), name="admin-expert-create"),
    path("requests/", apis.RequestListCreateApi.as_view(), name="request-list"),
    path("requests/queue/", apis.RequestQueueApi.as_view(), name="request-queue"),
    path("requests/<uuid:request_id>/", apis.RequestDetailApi.as_view(), name="request-detail"),
    path(
        "requests/<uuid:request_id>/accept/",
        apis.RequestAcceptApi.as_view(),
        name="request-accept",
    ),
    path(
        "requests/<uuid:request_id>/assign/",
        apis.RequestAssignApi.as_view(),
        name="request-assign",
    ),
    path("requests/<uuid:request_id>/close/", apis.RequestCloseApi.as_view(), name="request-close"),
    path(
        "requests/<uuid:request_id>/cancel/",
        apis.RequestCancelApi.as_view(),
        name="request-cancel",
    ),
    path(
        "requests/<uuid:request_id>/transfer/",
        apis.RequestTransferApi.as_view(),
        name="request-transfer",
    ),
    path(
        "requests/<uuid:request_id>/timeline/",
        apis.RequestTimelineApi.as_view(),
        name="request-timeline",
    ),
]
