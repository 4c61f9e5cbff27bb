"""Settings for Expert Support, read from the environment (and a `.env` file beside manage.py).

Every value is parsed strictly: anything that cannot be parsed stops start-up with
ImproperlyConfigured. Optional services switch on by the presence of their variable.
"""

import ipaddress
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import environ
import filetype
from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS

from config.email_url import email_config
from config.redis_url import redis_servers
from config.schema_components import FIELD_ERRORS_COMPONENT

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True}
_BOOLEANS.update({"0": False, "false": False, "no": False, "off": False})


def env_bool(name: str, *, default: bool) -> bool:
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw not in _BOOLEANS:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false.")
    return _BOOLEANS[raw]


def env_number(name: str, *, default: float, kind: type = int, minimum: float = 0):
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid {kind.__name__}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


DEBUG = env_bool("DEBUG", default=False)


def _secret(name: str, *, fallback: str | None) -> str:
    """A secret must be set explicitly when DEBUG is off; in DEBUG a development value is used."""
    value = env.str(name, default="") or fallback
    if value:
        return value
    if DEBUG:
        return f"insecure-development-only-{name.lower()}"
    raise ImproperlyConfigured(
        f"{name} is not set. It is required when DEBUG is off; "
        f"set it in the environment or in .env (see .env.example)."
    )


SECRET_KEY = _secret("SECRET_KEY", fallback=None)
JWT_SECRET = _secret("JWT_SECRET", fallback=env.str("SECRET_KEY", default="") or None)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "config.http.csrf_failure"
PORT = env_number("PORT", default=8000)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "support",
    "chat",
    "reviews",
    "integrations",
    "notifications",
    "console",
]

MIDDLEWARE = [
    # First: every later middleware's log lines and answers carry the request id, and the
    # metrics see every answer, whoever gave it.
    "config.request_id.RequestIdMiddleware",
    "config.metrics.HttpMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything that can answer on its own, so those answers carry the CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's own pages (config/templates): the offline ReDoc page.
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Keep connections open between requests: a new PostgreSQL connection costs milliseconds.
DATABASES["default"]["CONN_MAX_AGE"] = env_number("DB_CONN_MAX_AGE", default=60)
# Off by default: under Channels the check is a `SELECT 1` before every database call (a quarter
# of a chat message's store time). A connection that died fails its query, and is replaced on the
# next call.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DB_CONN_HEALTH_CHECKS", default=False)
# Threads per server process that run the WebSocket layer's database work in parallel; each
# holds one database connection.
DB_THREADS = env_number("DB_THREADS", default=10, minimum=1)
# Connections per server process on which the event loop stores chat messages and records
# opened sockets itself, without the hop to a thread (chat.loop_db; PostgreSQL). 0 sends all of
# it through the threads.
DB_ASYNC_CONNECTIONS = env_number("DB_ASYNC_CONNECTIONS", default=4, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A server that does not answer fails the connection after this long, instead of holding a
    # socket's frame (and a worker thread) for the operating system's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_number(
        "DB_CONNECT_TIMEOUT", default=3, minimum=1
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite allows one writer; wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache -------------------------------------------------------------
# One URL, or several comma-separated (the channel layer shards across them, the cache uses the
# first), each plain or through Redis Sentinel: config.redis_url.
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_SERVERS = redis_servers(REDIS_URL)
# Several deployments (or test runs) may share one Redis; keys and groups are kept apart by this.
REDIS_PREFIX = env.str("REDIS_PREFIX", default="expert-support")

if REDIS_SERVERS:
    # Pub/sub: one PUBLISH per group send, one subscriber connection per process. It beat
    # RedisChannelLayer (sorted sets, one blocking pop per delivered event) by 1.4x in throughput
    # and two orders of magnitude in latency (docs/performance.md). What it gives up, delivery of
    # events published while a process is reconnecting, the consumer recovers from the database.
    CHANNEL_LAYER = env.str("CHANNEL_LAYER", default="chat.layer.PubSubChannelLayer")
    _layer_config: dict[str, Any] = {
        # redis-py's pool fails at once ("Too many connections") past its limit, which is 100
        # by default: a burst of connects or sends needs more, briefly.
        "hosts": [
            server.layer_host(max_connections=env_number("REDIS_MAX_CONNECTIONS", default=1000))
            for server in REDIS_SERVERS
        ],
        "prefix": f"{REDIS_PREFIX}:asgi",
    }
    if CHANNEL_LAYER == "channels_redis.core.RedisChannelLayer":
        _layer_config.update(capacity=env_number("CHANNEL_CAPACITY", default=1000), expiry=60)
    CHANNEL_LAYERS = {"default": {"BACKEND": CHANNEL_LAYER, "CONFIG": _layer_config}}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            **REDIS_SERVERS[0].cache_settings(),
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Every password check (API, session login, /admin/) goes through the per-email failure limit.
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
# The browsable API's session sign-in and sign-out come back to the API index.
LOGIN_REDIRECT_URL = LOGOUT_REDIRECT_URL = "/api/"
AUTH_PASSWORD_VALIDATORS = [
    {
        # Our user has `name`, not Django's default first_name/last_name/username.
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # At most half of a password may be whitespace: eight spaces pass every check above.
    {"NAME": "accounts.password_validation.WhitespacePasswordValidator"},
]
# Failed logins allowed per email per minute before 429.
LOGIN_FAILURE_LIMIT = env_number("LOGIN_FAILURE_LIMIT", default=10)


_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600}
_PERIODS.update({"hour": 3600, "d": 86400, "day": 86400})


def env_rate(name: str, *, default: str) -> tuple[int, int]:
    """A rate like `10/minute` (or `30/h`), as (count, seconds)."""
    raw = env.str(name, default=default).strip().lower()
    count, _, period = raw.partition("/")
    if not count.isdigit() or period not in _PERIODS or int(count) < 1:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a rate such as 10/minute.")
    return int(count), _PERIODS[period]


# Per client address: sign-ups, and failed sign-ins whatever the email (password spraying).
REGISTER_RATE = env_rate("REGISTER_RATE", default="20/hour")
LOGIN_IP_RATE = env_rate("LOGIN_IP_RATE", default="30/minute")

# The user object of the API (sign-up, sign-in, me/): accounts' fields plus, for experts, the
# expert profile that support keeps. accounts never imports support; this setting wires them.
USER_SERIALIZER = "support.serializers.UserSerializer"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        # The browsable API, after signing in at /api/auth/session/login/ (or /admin/).
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's defaults, with JSON that cannot be parsed always a 400 (config.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "config.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        seconds=env_number("JWT_ACCESS_SECONDS", default=15 * 60, minimum=1)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    # Clients' clocks drift; a few seconds of tolerance avoids spurious 401s.
    "LEEWAY": timedelta(seconds=10),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Expert Support API",
    "DESCRIPTION": "Customers open support requests, experts are matched to them, both chat in "
    "real time over a WebSocket at /ws/ (documented in the README).",
    "VERSION": "1.0.0",
    # 3.1: a nullable object is `oneOf [object, null]`, which validators read as meant (3.0's
    # `nullable` beside `allOf` does not make null valid).
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Operation ids and tags from the path after /api/ (requests_list, tag "requests").
    "SCHEMA_PATH_PREFIX": "/api",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from the project's own static files: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "APPEND_COMPONENTS": {"schemas": {"FieldErrors": FIELD_ERRORS_COMPONENT}},
    # What the webhooks POST to receivers (OpenAPI 3.1's `webhooks`).
    "WEBHOOKS": "integrations.schema.WEBHOOKS",
}

# --- Browser front-ends on other origins ---------------------------------------------------------
# Origins (scheme://host[:port]) whose pages may call the API and open the WebSocket, e.g.
# `http://localhost:3000,https://app.example.com`. The API uses bearer tokens, not cookies, so
# no credentials are allowed across origins.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["Retry-After"]

# --- Real-time layer ---------------------------------------------------------------------------
# A server process that stops heart-beating for this long is considered dead: its sockets are
# dropped and their users go offline.
PRESENCE_TIMEOUT = env_number("PRESENCE_TIMEOUT", default=60, minimum=1)
# Per-socket message rate limit (token bucket): sustained rate per second and burst size.
WS_MESSAGE_RATE = env_number("WS_MESSAGE_RATE", default=10.0, kind=float)
WS_MESSAGE_BURST = env_number("WS_MESSAGE_BURST", default=20)
# Largest accepted WebSocket frame; larger ones close the socket with 1009. The one definition:
# config.daphne_main and config.serve give it to the server, the consumer checks it too.
WS_MAX_FRAME_BYTES = 64 * 1024
# Sockets one user may hold across all processes; a new one past this closes their oldest (4008).
WS_MAX_SOCKETS_PER_USER = env_number("WS_MAX_SOCKETS_PER_USER", default=10, minimum=1)
# The longest replay a `join-request` gets (messages after its `after_seq`); a client further
# behind reads the history over REST. Bounds what one join can queue on a socket.
WS_REPLAY_MAX = env_number("WS_REPLAY_MAX", default=10_000, minimum=1)
# Handshakes one server process works on at once; past this, new ones wait their turn when it
# comes within WS_HANDSHAKE_QUEUE_SECONDS, and are otherwise refused at once with 503 and
# Retry-After (at least WS_HANDSHAKE_RETRY_AFTER seconds), instead of all of them timing out
# together in a connect storm (config.admission). The queue is short: every handshake must be
# answered within a few seconds.
WS_MAX_PENDING_HANDSHAKES = env_number("WS_MAX_PENDING_HANDSHAKES", default=64, minimum=1)
WS_HANDSHAKE_QUEUE_SECONDS = env_number("WS_HANDSHAKE_QUEUE_SECONDS", default=3.0, kind=float)
if WS_HANDSHAKE_QUEUE_SECONDS > 4:
    raise ImproperlyConfigured(
        f"WS_HANDSHAKE_QUEUE_SECONDS must be at most 4, got {WS_HANDSHAKE_QUEUE_SECONDS}: a "
        "handshake is answered within 5 s."
    )
WS_HANDSHAKE_RETRY_AFTER = env_number("WS_HANDSHAKE_RETRY_AFTER", default=1, minimum=1)
# The event loop under daphne (and Twisted): uvloop, or the standard library's (asyncio). uvloop
# takes about a tenth off the server's CPU per chat message and shortens the latency tail and
# connect storms (docs/performance.md); where it is not installed (it does not build on
# Windows), daphne runs on asyncio's loop, with a warning.
DAPHNE_EVENT_LOOP = env.str("DAPHNE_EVENT_LOOP", default="uvloop").strip().lower()
if DAPHNE_EVENT_LOOP not in {"uvloop", "asyncio"}:
    raise ImproperlyConfigured(f"DAPHNE_EVENT_LOOP={DAPHNE_EVENT_LOOP!r}: use uvloop or asyncio.")
# On SIGTERM a server process closes its sockets with 1001 and waits this long at most for them
# to finish before it exits (config.daphne_server).
SHUTDOWN_DRAIN_SECONDS = env_number("SHUTDOWN_DRAIN_SECONDS", default=10.0, kind=float)
# Every socket compares its rooms' last seq with the database this often (seconds), so a
# message whose broadcast was lost (Redis hiccup) still arrives.
CHAT_SYNC_INTERVAL = env_number("CHAT_SYNC_INTERVAL", default=2.0, kind=float)

# The worker (core.worker): webhook deliveries, offline emails, timeouts and clean-ups. Inside
# every server process by default; off here when it runs alone (`manage.py run_worker`).
WORKER_IN_SERVER = env_bool("WORKER_IN_SERVER", default=True)


def env_seconds_list(name: str, *, default: str) -> tuple[float, ...]:
    raw = env.str(name, default="").strip() or default
    try:
        values = tuple(float(part) for part in raw.split(","))
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a comma-separated list of seconds."
        ) from None
    if not values or any(not 0 <= value < 86_400 * 7 for value in values):
        raise ImproperlyConfigured(f"{name}: each delay must be 0 seconds to 7 days, got {raw!r}.")
    return values


# Webhooks (integrations): seconds to wait for a receiver's answer, and the pause before each
# retry of a failed delivery (9 tries over about an hour by default, then it is marked failed).
WEBHOOK_TIMEOUT = env_number("WEBHOOK_TIMEOUT", default=5.0, kind=float, minimum=0.1)
WEBHOOK_RETRY_DELAYS = env_seconds_list(
    "WEBHOOK_RETRY_DELAYS", default="10,30,60,120,300,600,900,1800"
)
# Receivers on loopback, private or link-local addresses are refused unless this is on (an
# endpoint must not become a way into the servers' own network).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", default=False)

# --- Timeouts of active requests (chat.timeouts) -----------------------------------------------
# Seconds an ACTIVE request may wait for its expert's first message after they were assigned
# before it goes back to the queue (to anyone but them). 0 = never.
FIRST_RESPONSE_TIMEOUT = env_number("FIRST_RESPONSE_TIMEOUT", default=0)
# Seconds an ACTIVE request may go without a message (counted from its last one, or from its
# assignment if it has none) before it is closed. 0 = never.
INACTIVITY_CLOSE_AFTER = env_number("INACTIVITY_CLOSE_AFTER", default=0)

# --- Attachments -------------------------------------------------------------------------------
# The largest file one upload may carry (bytes); larger ones are refused with 413.
ATTACHMENT_MAX_BYTES = env_number("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024, minimum=1)
# The types an upload may be, as detected from its bytes (MIME types, comma-separated).
_DEFAULT_ATTACHMENT_TYPES = "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain"
ATTACHMENT_TYPES = [
    kind.strip().lower()
    for kind in env.str("ATTACHMENT_TYPES", default=_DEFAULT_ATTACHMENT_TYPES).split(",")
    if kind.strip()
]
_detectable = {kind.mime for kind in filetype.types} | {"text/plain"}
if _unknown := sorted(set(ATTACHMENT_TYPES) - _detectable):
    raise ImproperlyConfigured(
        f"ATTACHMENT_TYPES names types that cannot be detected from a file's bytes: {_unknown}."
    )
# Where uploaded files live: the filesystem under MEDIA_ROOT unless ATTACHMENT_STORAGE names
# another Django storage backend (e.g. storages.backends.s3.S3Storage), configured by the JSON
# object ATTACHMENT_STORAGE_OPTIONS (docs/requests.md, "Storage"). Nothing is served from
# MEDIA_ROOT: files are only ever downloaded through the access-checked API.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
try:
    _attachment_storage_options = env.json("ATTACHMENT_STORAGE_OPTIONS", default={})
except ValueError:
    _attachment_storage_options = None
if not isinstance(_attachment_storage_options, dict):
    raise ImproperlyConfigured("ATTACHMENT_STORAGE_OPTIONS must be a JSON object.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": {
        "BACKEND": env.str(
            "ATTACHMENT_STORAGE", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": _attachment_storage_options,
    },
}

# Email (config.email_url): EMAIL_URL names the backend, e.g. smtp://user:pass@host:587?tls=true.
# Unset: printed on the console when DEBUG, and no email at all otherwise.
_email = email_config(env.str("EMAIL_URL", default=""), debug=DEBUG)
EMAIL_ENABLED = _email.enabled
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
if _email.file_path:
    EMAIL_FILE_PATH = _email.file_path
# Seconds an SMTP server may take to answer (Django's default is to wait for ever, which would
# hold a worker thread and outlive the lease of the email being sent).
EMAIL_TIMEOUT = env_number("EMAIL_TIMEOUT", default=10.0, kind=float, minimum=0.1)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Expert Support <no-reply@localhost>")
if "@" not in parseaddr(DEFAULT_FROM_EMAIL)[1]:
    raise ImproperlyConfigured(
        f"DEFAULT_FROM_EMAIL={DEFAULT_FROM_EMAIL!r} is not an address such as "
        "'Expert Support <support@example.com>'."
    )
# Offline notifications (notifications): a participant with no open socket who has had unread
# messages in a request for this many seconds gets one email about them; and the pause before
# each new try when the SMTP server fails (then it waits for the next message).
NOTIFY_OFFLINE_AFTER = env_number("NOTIFY_OFFLINE_AFTER", default=300, minimum=1)
NOTIFY_RETRY_DELAYS = env_seconds_list("NOTIFY_RETRY_DELAYS", default="30,120,600,1800,3600")

# --- Internationalization, static files ---------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# Only needed to run collectstatic for a CDN or a front proxy; the app serves assets itself.
STATIC_ROOT = env.str("STATIC_ROOT", default="") or None
# Admin and API-browser assets are served by the app itself, straight from the installed apps,
# so no collectstatic step is needed to deploy.
WHITENOISE_USE_FINDERS = True

# --- Security that matters in production (README: "Deploying", the checklist) ------------------
# The proxy in front says the original request was HTTPS with this header (`X-Forwarded-Proto:
# https`). Trusted only when the server cannot be reached but through that proxy; empty turns it
# off (serving HTTPS directly, or nothing in front).
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
# Plain-HTTP requests are redirected to HTTPS, but the health probes, which load balancers send
# over HTTP on the private side.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live)?$", r"^metrics$"]
# Browsers are told to use HTTPS only, for this long (HSTS). 0 = off; turn it on once HTTPS
# works, starting small: browsers remember it.
SECURE_HSTS_SECONDS = env_number("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)

# The proxy in front sets X-Forwarded-For/-Proto and X-Request-ID, and the server trusts them:
# config.serve gives daphne or uvicorn --proxy-headers, and each request's id is the proxy's
# (config.request_id). Only when nothing but that proxy can reach the server.
PROXY_HEADERS = env_bool("PROXY_HEADERS", default=False)

# --- Operations: metrics and logs (docs/operations.md) ------------------------------------------
# /metrics answers only when one of these is set: the bearer token the scraper sends, and/or the
# addresses (IPs or networks, comma-separated) it may come from.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
try:
    METRICS_ALLOWED_ADDRESSES = [
        ipaddress.ip_network(item.strip(), strict=False)
        for item in env.str("METRICS_ALLOWED_ADDRESSES", default="").split(",")
        if item.strip()
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_ADDRESSES: {exc}.") from None
# plain: one line of text per record; json: one JSON object per line, with the request id of an
# HTTP request and the socket and user ids of a WebSocket as fields.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use plain or json.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            # Fields passed with a record that are never written: Django's `request` would be
            # written with its query string, which may carry a token (?token=).
            "reserved_attrs": [*RESERVED_ATTRS, "request", "scope"],
        },
    },
    "filters": {
        "context": {"()": "config.log_filters.LogContext"},
        "pubsub_cleanup": {"()": "config.log_filters.DropPubSubCancelledCleanup"},
        "pubsub_outage": {"()": "config.log_filters.PubSubOutageToOutageLog"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["pubsub_cleanup", "pubsub_outage", "context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A 4xx is the client's doing and already has its access-log line; 5xx are still logged.
        "django.request": {"level": "ERROR"},
    },
}
