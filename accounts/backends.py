"""Password sign-in, under the per-email failure limit, for every way of signing in."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.models import User
from accounts.throttling import login_attempt_reserve, login_attempts_clear
from core.errors import Throttled


class ThrottledModelBackend(ModelBackend):
    """Django's model backend, counting each password check against the email's failure limit
    (accounts.throttling), whichever door it comes through: the API's login, the browsable API's
    session login, or /admin/. Over the limit it raises core.errors.Throttled, which the API
    answers with 429 and the sign-in forms (accounts.forms) show as a form error."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username if username is not None else kwargs.get(User.USERNAME_FIELD)
        if email is None or password is None:
            return None
        retry_after = login_attempt_reserve(email=email)
        if retry_after is not None:
            raise Throttled("Too many failed logins for this email.", retry_after=retry_after)
        user = super().authenticate(request, username=email, password=password)
        if not isinstance(user, User):
            return None
        login_attempts_clear(email=email)
        return user
