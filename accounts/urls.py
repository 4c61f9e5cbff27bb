from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/register/", apis.RegisterApi.as_view(), name="auth-register"),
    path("auth/login/", apis.LoginApi.as_view(), name="auth-login"),
    path("auth/refresh/", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout/", apis.LogoutApi.as_view(), name="auth-logout"),
    path("me/", apis.MeApi.as_view(), name="me"),
    path("skills/", apis.SkillListApi.as_view(), name="skill-list"),
    path("experts/", apis.ExpertListApi.as_view(), name="expert-list"),
    path("experts/<uuid:expert_id>/", apis.ExpertDetailApi.as_view(), name="expert-detail"),
    path("admin/experts/", apis.AdminExpertCreateApi.as_view(), name="admin-expert-create"),
]
