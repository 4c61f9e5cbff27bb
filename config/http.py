"""What the site answers outside the apps' endpoints: the API index, and errors under /api/ as
JSON (unknown paths, malformed ids, a missing trailing slash, 400/403/404/500 from Django)."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseRedirectBase
from django.urls import Resolver404, resolve
from django.utils.http import escape_leading_slashes
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# Where people and programs go from the index: the same paths for every deployment.
LINKS = {
    "docs": "/api/docs/",
    "redoc": "/api/redoc/",
    "schema": "/api/schema/",
    "asyncapi": "/api/asyncapi.json",
    "websocket": "/ws/",
    "console": "/console/",
    "admin": "/admin/",
    "session_login": "/api/auth/session/login/",
    "health": "/healthz",
}


class ApiIndexApi(APIView):
    """Links to the documentation, the schemas, the WebSocket, the console and the admin."""

    name = "Expert Support API"
    permission_classes = (AllowAny,)

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        links = {name: request.build_absolute_uri(path) for name, path in LINKS.items()}
        return Response({"name": self.name, "links": links})


class HttpResponsePermanentRedirectSameMethod(HttpResponseRedirectBase):
    """308: unlike 301, the client repeats the same method with the same body."""

    status_code = 308


@csrf_exempt  # it changes nothing; a stray session cookie must not turn its 404 into a 403
def api_not_found(request: HttpRequest, unmatched: str = "") -> HttpResponse:
    """Every /api/ path that no endpoint matches. A path that only lacks its trailing slash is
    redirected with 308, so a POST arrives with its body; anything else is a JSON 404."""
    if not request.path_info.endswith("/"):
        try:
            resolved = resolve(request.path_info + "/")
        except Resolver404:
            resolved = None
        if resolved is not None and resolved.func is not api_not_found:
            target = escape_leading_slashes(request.get_full_path(force_append_slash=True))
            return HttpResponsePermanentRedirectSameMethod(target)
    return _json_error(404, "not_found", "No such endpoint, or no such object.")


def _json_error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


# Django's error handlers (config.urls names them): JSON under /api/, Django's pages elsewhere.
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json_error(400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json_error(403, "access_denied", "You may not do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json_error(404, "not_found", "No such endpoint, or no such object.")
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: a signed-in browser session sent a change without its CSRF
    token (bearer-token clients are never asked for one)."""
    if _is_api(request):
        return _json_error(403, "csrf_failed", f"CSRF check failed: {reason}")
    return csrf.csrf_failure(request, reason)


def server_error(request: HttpRequest, *args: Any) -> HttpResponse:
    if _is_api(request):
        return _json_error(500, "server_error", "The server failed; try again later.")
    return defaults.server_error(request)
