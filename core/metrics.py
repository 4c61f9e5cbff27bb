"""Every Prometheus metric of the project, defined once (docs/operations.md lists them).

Apps import the metric they move and do nothing else with it: a counter increment or a
histogram observation, no I/O. With PROMETHEUS_MULTIPROC_DIR set (config.serve sets it for its
workers) prometheus-client keeps each process's values in a memory-mapped file of that
directory, and `/metrics` of any process reports them all (config.metrics); gauges of one
process then carry its `pid` label.

Figures read from the database (the worker's backlog) are not kept here: they are read when
`/metrics` is scraped (config.metrics), so they are the same whichever process answers.
"""

from prometheus_client import Counter, Gauge, Histogram

PREFIX = "expert_support"

# --- WebSocket ---------------------------------------------------------------------------------
OPEN_SOCKETS = Gauge(
    f"{PREFIX}_websocket_open_sockets",
    "WebSockets this server process holds open (accepted, not yet closed).",
    multiprocess_mode="liveall",
)
HANDSHAKES_WAITING = Gauge(
    f"{PREFIX}_websocket_handshakes_waiting",
    "WebSocket handshakes waiting for their turn past WS_MAX_PENDING_HANDSHAKES (daphne only; "
    "read every tenth of a second while any wait).",
    multiprocess_mode="liveall",
)
HANDSHAKES_ACCEPTED = Counter(
    f"{PREFIX}_websocket_handshakes_accepted",
    "WebSocket handshakes accepted.",
)
HANDSHAKES_REFUSED = Counter(
    f"{PREFIX}_websocket_handshakes_refused",
    "WebSocket handshakes refused, by reason: busy (WS_MAX_PENDING_HANDSHAKES reached), "
    "draining (the process is shutting down), origin (Origin not allowed), unauthenticated "
    "(no valid token, or no such active user).",
    ["reason"],
)
HANDSHAKE_SECONDS = Histogram(
    f"{PREFIX}_websocket_handshake_seconds",
    "Time from the handshake reaching the application to its acceptance (token check, presence "
    "record, group subscriptions).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
FRAMES_RECEIVED = Counter(
    f"{PREFIX}_websocket_frames_received",
    "Client frames received, by type (invalid: not a frame the protocol defines).",
    ["type"],
)
ERROR_FRAMES = Counter(
    f"{PREFIX}_websocket_error_frames",
    "`error` frames sent to clients, by code.",
    ["code"],
)

# --- Messages and their delivery ---------------------------------------------------------------
MESSAGES_STORED = Counter(
    f"{PREFIX}_messages_stored",
    "Chat messages stored (over the WebSocket or REST; a repeated client_id is not counted).",
)
GAP_FILLS = Counter(
    f"{PREFIX}_delivery_gap_fills",
    "Broadcasts that arrived after a gap, so the missing messages were read from the database "
    "first. Rare: a rise means the channel layer is losing events.",
)
CATCH_UPS = Counter(
    f"{PREFIX}_delivery_catch_ups",
    "Quiet rooms in which a socket was behind the database and caught up (the last broadcast "
    "of a burst was lost). Rare: a rise means the channel layer is losing events.",
)
BROADCAST_SECONDS = Histogram(
    f"{PREFIX}_broadcast_latency_seconds",
    "Time from a message's commit (its broadcast) to its frame being sent to another "
    "participant's socket, across processes.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

# --- The ORM thread pool of the real-time layer -------------------------------------------------
ORM_QUEUE_DEPTH = Gauge(
    f"{PREFIX}_orm_queue_depth",
    "Database calls of the WebSocket layer waiting for a thread of the pool (DB_THREADS).",
    multiprocess_mode="liveall",
)

# --- Worker, webhooks, presence ----------------------------------------------------------------
WORKER_ITEMS = Counter(
    f"{PREFIX}_worker_items",
    "Items the worker's jobs handled, by job.",
    ["worker_job"],
)
WORKER_FAILURES = Counter(
    f"{PREFIX}_worker_failures",
    "Runs of a worker job that failed (an outage or a bug; see the log), by job.",
    ["worker_job"],
)
WEBHOOK_DELIVERIES = Counter(
    f"{PREFIX}_webhook_deliveries",
    "Webhook delivery attempts, by outcome: delivered (2xx), retry (failed, tried again later), "
    "failed (failed for the last time).",
    ["outcome"],
)
PRESENCE_SWEEPS = Counter(
    f"{PREFIX}_presence_sweeps",
    "Sweeps that found server processes gone (no heartbeat for PRESENCE_TIMEOUT, or a "
    "predecessor on this host) and dropped their sockets.",
)
PRESENCE_CORRECTIONS = Counter(
    f"{PREFIX}_presence_corrections",
    "Presence put right after the fact, by kind: offline (a user of a dead process marked "
    "offline), restored (sockets of this process recorded again after it was swept), "
    "deactivated (a socket of a deactivated account closed by the heartbeat).",
    ["kind"],
)

# --- HTTP and dependencies -----------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests answered, by route (the URL pattern, not the path), method and status.",
    ["route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    f"{PREFIX}_http_request_seconds",
    "Time to answer an HTTP request, by route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DEPENDENCY_UP = Gauge(
    f"{PREFIX}_dependency_up",
    "1 while this process reaches the dependency (database, channel_layer), 0 during an outage "
    "it has seen.",
    ["dependency"],
    multiprocess_mode="liveall",
)
