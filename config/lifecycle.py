"""Where this server process is in its life, for the parts that must know: the readiness probe
and the WebSocket handshake refuse while the process is shutting down."""

import threading

# Set on SIGTERM (config.daphne_server): from then on /healthz answers 503 (the load balancer
# stops sending traffic) and new handshakes get 503 with Retry-After, while the open sockets
# are closed with 1001.
draining = threading.Event()
