"""A request id on every HTTP request: on each log line written while serving it, and in the
answer's `X-Request-ID` header, so a client's report, the proxy's log and the server's log
meet.

The id is the proxy's `X-Request-ID` when the server trusts the proxy in front of it
(PROXY_HEADERS, the same trust as for X-Forwarded-For), and a new random one otherwise: a
client must not be able to make its lines look like someone else's.
With LOG_FORMAT=json this also writes the access log line of each request (config.access),
which then replaces daphne's (config.daphne_main): method, path without the query string (it
may carry a token), status, duration and the id.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core import log_context

HEADER = "X-Request-ID"
# What a proxy's id may look like (nginx's $request_id is 32 hex digits; others use UUIDs).
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_log = logging.getLogger("config.access")


def request_id_of(request: HttpRequest) -> str:
    offered = request.headers.get(HEADER, "")
    if settings.PROXY_HEADERS and _ACCEPTABLE.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so everything after it logs with the id, and every answer, even
    one a later middleware gives on its own (a redirect, a CORS preflight), carries it."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        started, bound = self._begin(request)
        try:
            response = self.get_response(request)
            return self._end(request, response, started)
        finally:
            log_context.request_id.reset(bound)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        started, bound = self._begin(request)
        try:
            response = await self.get_response(request)
            return self._end(request, response, started)
        finally:
            log_context.request_id.reset(bound)

    @staticmethod
    def _begin(request: HttpRequest) -> tuple[float, Any]:
        request_id = request_id_of(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        return time.monotonic(), log_context.request_id.set(request_id)

    @staticmethod
    def _end(request: HttpRequest, response: HttpResponse, started: float) -> HttpResponse:
        response[HEADER] = request.request_id  # type: ignore[attr-defined]
        if settings.LOG_FORMAT == "json":
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "client": request.META.get("REMOTE_ADDR", ""),
                },
            )
        return response
