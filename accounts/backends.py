"""Password sign-in, under the failure limits (per email and per client address), for every way
of signing in."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.models import User
from accounts.throttling import (
    login_address_failed,
    login_address_retry_after,
    login_attempt_reserve,
    login_attempts_clear,
)
from core.errors import Throttled


class ThrottledModelBackend(ModelBackend):
    """Django's model backend, counting each password check against the failure limits
    (accounts.throttling) of the email and of the client's address, whichever door it comes
    through: the API's login, the browsable API's session login, or /admin/. Over a limit it
    raises core.errors.Throttled, which the API answers with 429 and the sign-in forms
    (accounts.forms) show as a form error."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        client_address: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username if username is not None else kwargs.get(User.USERNAME_FIELD)
        if email is None or password is None:
            return None
        address = client_address or _address_of(request)
        retry_after = address and login_address_retry_after(address=address)
        if retry_after:
            raise Throttled("Too many failed logins from this address.", retry_after=retry_after)
        retry_after = login_attempt_reserve(email=email)
        if retry_after is not None:
            raise Throttled("Too many failed logins for this email.", retry_after=retry_after)
        user = super().authenticate(request, username=email, password=password)
        if not isinstance(user, User):
            if address:
                login_address_failed(address=address)
            return None
        login_attempts_clear(email=email)
        return user


def _address_of(request: HttpRequest | None) -> str | None:
    return None if request is None else request.META.get("REMOTE_ADDR") or None
