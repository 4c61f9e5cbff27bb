"""The sign-in forms of the browsable API's session login and of /admin/."""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from core.errors import Throttled


class ThrottledSignInMixin:
    """Shows the per-email failure limit (accounts.backends) as a form error."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()  # type: ignore[misc]
        except Throttled as exc:
            raise forms.ValidationError(
                f"{exc.detail} Try again in {exc.retry_after} seconds.", code="throttled"
            ) from exc


class SignInForm(ThrottledSignInMixin, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledSignInMixin, AdminAuthenticationForm):
    pass
