"""The one page of the console. Everything else it shows comes from the public API, called by
the browser (static/console/*.js)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def console_page(request: HttpRequest) -> HttpResponse:
    response = render(request, "console/index.html")
    response["Content-Security-Policy"] = content_security_policy(request)
    return response


def content_security_policy(request: HttpRequest) -> str:
    """Only the project's own scripts, styles and endpoints: the page holds tokens, so nothing
    injected or loaded from elsewhere may run in it. The WebSocket is named explicitly because
    older browsers do not count ws:// as 'self'."""
    socket_origin = f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}"
    return "; ".join(
        [
            "default-src 'self'",
            f"connect-src 'self' {socket_origin}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
