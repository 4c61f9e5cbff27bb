"""The WebSocket handshake: Origin check and JWT authentication.

A rejected handshake never reaches `accept`, so daphne answers HTTP 403 and no socket is opened.
Nothing here logs headers or the query string: the token may travel in either.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from urllib.parse import parse_qs, urlparse

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http.request import split_domain_port, validate_host
from django.utils.module_loading import import_string
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from chat.async_db import in_worker_thread
from core.metrics import HANDSHAKES_REFUSED

BEARER_SUBPROTOCOL = "bearer"


ASGIApp = Callable[[Any, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


class OriginValidatorMiddleware:
    """Refuse browser connections from origins that are neither the server's own hosts nor in
    CORS_ALLOWED_ORIGINS.

    Unlike channels' AllowedHostsOriginValidator, a missing Origin is accepted: browsers always
    send one, so its absence means a non-browser client, which CSRF-style attacks cannot use.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self, scope: Mapping[str, Any], receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        origin = _header(scope, b"origin")
        if origin is not None and not origin_allowed(origin):
            HANDSHAKES_REFUSED.labels("origin").inc()
            await HandshakeDenier()(cast(Any, scope), receive, send)
            return
        await self.app(scope, receive, send)


def origin_allowed(origin: str) -> bool:
    """A page of the server's own hosts (ALLOWED_HOSTS, any port: behind a proxy the server
    cannot know which port its pages come from), or of an origin in CORS_ALLOWED_ORIGINS
    (scheme, host and port, as browsers send it)."""
    if origin.lower().rstrip("/") in {o.lower().rstrip("/") for o in settings.CORS_ALLOWED_ORIGINS}:
        return True
    host = urlparse(origin).netloc
    if not host:
        return False
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


class HandshakeDenier(WebsocketDenier):
    """Refuses the handshake: daphne answers HTTP 403 and no socket is opened."""

    # A refused connection has no use for the channel layer (an alias that names no layer
    # means none); it then neither waits on Redis nor leaves a channel behind.
    channel_layer_alias = "none"


@dataclass(frozen=True)
class VerifiedToken:
    user_id: str
    exp: int


def verify_access_token(raw: str) -> VerifiedToken | None:
    """Signature, expiry (with the configured leeway) and type `access`; None if any fails."""
    try:
        # simplejwt's hints say Token; it takes the encoded string, as documented.
        token = AccessToken(raw)  # type: ignore[arg-type]
        return VerifiedToken(user_id=str(token[api_settings.USER_ID_CLAIM]), exp=int(token["exp"]))
    except (TokenError, KeyError, TypeError, ValueError):
        return None


def token_leeway() -> timedelta:
    # The backend that AccessToken verifies with, so the socket's deadline matches its check.
    return import_string("rest_framework_simplejwt.state.token_backend").get_leeway()


def token_from_scope(scope: Mapping[str, Any]) -> str | None:
    """The token from the Authorization header, the ["bearer", <token>] subprotocol pair, or
    the `token` query parameter, in that order of preference."""
    authorization = _header(scope, b"authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    subprotocols = list(scope.get("subprotocols") or [])
    if BEARER_SUBPROTOCOL in subprotocols:
        index = subprotocols.index(BEARER_SUBPROTOCOL)
        if index + 1 < len(subprotocols):
            return subprotocols[index + 1]
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    values = query.get("token")
    return values[0] if values else None


@in_worker_thread
def active_user(user_id: str) -> User | None:
    try:
        return User.objects.filter(pk=user_id, is_active=True).first()
    except (ValidationError, ValueError, TypeError):  # a malformed id in a validly signed token
        return None


def socket_token(scope: Mapping[str, Any]) -> VerifiedToken | None:
    """The access token JWTAuthMiddleware verified for this connection, if any. Whether its
    user exists and is active is checked when the socket is recorded (chat.presence), in the
    same statement: the handshake costs one database round trip, which is what a connect storm
    is made of."""
    token = scope.get("verified_token")
    return token if isinstance(token, VerifiedToken) else None


class JWTAuthMiddleware:
    """Put the verified access token (`verified_token`, None when there is none) into the
    scope. Signature, expiry and type only: no database work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self, scope: Mapping[str, Any], receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        raw = token_from_scope(scope)
        verified = verify_access_token(raw) if raw else None
        await self.app(dict(scope, verified_token=verified), receive, send)
