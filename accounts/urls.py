from django.contrib.auth.views import LoginView, LogoutView
from django.urls import include, path

from accounts import apis
from accounts.forms import SignInForm

# The browsable API's sign-in, for every role; DRF's pages link to this namespace.
session_urlpatterns = (
    [
        path(
            "login/",
            LoginView.as_view(
                template_name="rest_framework/login.html", authentication_form=SignInForm
            ),
            name="login",
        ),
        path("logout/", LogoutView.as_view(), name="logout"),
    ],
    "rest_framework",
)

urlpatterns = [
    path("auth/session/", include(session_urlpatterns)),
    path("auth/register/", apis.RegisterApi.as_view(), name="auth-register"),
    path("auth/login/", apis.LoginApi.as_view(), name="auth-login"),
    path("auth/refresh/", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout/", apis.LogoutApi.as_view(), name="auth-logout"),
    path("skills/", apis.SkillListApi.as_view(), name="skill-list"),
]
