from django.urls import path

from reviews import apis

urlpatterns = [
    path(
        "requests/<uuid:request_id>/review/",
        apis.ReviewCreateApi.as_view(),
        name="request-review",
    ),
    path(
        "experts/<uuid:expert_id>/reviews/",
        apis.ExpertReviewListApi.as_view(),
        name="expert-reviews",
    ),
]
