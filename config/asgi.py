"""ASGI entry point: `daphne config.asgi:application` serves HTTP and the WebSocket at /ws/."""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from chat.hub import ProcessHub  # noqa: E402
from chat.middleware import JWTAuthMiddleware, OriginValidatorMiddleware  # noqa: E402
from chat.routing import websocket_urlpatterns  # noqa: E402
from config.body_limits import refuse_oversized_uploads  # noqa: E402
from config.metrics import forget_dead_processes  # noqa: E402
from core import worker  # noqa: E402

# Per-process gauges of earlier processes that were killed are no longer reported (several
# processes sharing PROMETHEUS_MULTIPROC_DIR, config.metrics).
forget_dead_processes()

# One per process: every socket this process serves shares its presence heartbeat and room sync.
hub = ProcessHub()

if not settings.REDIS_URL:
    logging.getLogger("config").warning(
        "REDIS_URL is not set: using the in-memory channel layer, which serves ONE process only. "
        "Set REDIS_URL to run several server processes."
    )

application = worker.serving(
    hub.serving(
        ProtocolTypeRouter(
            {
                "http": refuse_oversized_uploads(django_asgi_app),
                # Origin first (cheap, no database), then the token, then the consumer.
                "websocket": OriginValidatorMiddleware(
                    JWTAuthMiddleware(URLRouter(websocket_urlpatterns(hub=hub)))
                ),
            }
        )
    )
)
