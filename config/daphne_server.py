"""daphne's server, as config.daphne_main runs it: admission control for WebSocket handshakes,
a graceful drain on SIGTERM, 1009 for oversized frames, and no form parsing by Twisted.

Admission control: a connect storm (every client of a restarted process reconnecting at once)
would otherwise start thousands of handshakes together; each waits behind the others for the
database and Redis until daphne's handshake timeout kills it, and the clients' retries recreate
the storm. Past WS_MAX_PENDING_HANDSHAKES handshakes in progress, a new one is refused at once
with 503 and Retry-After, before any application work: the ones admitted finish quickly, and
refused clients come back, spread out by their jittered backoff (docs/websocket.md).
"""

import asyncio
import logging
import pprint
import time
from typing import Any, ClassVar

from autobahn.websocket import protocol as autobahn_protocol
from autobahn.websocket.types import ConnectionDeny
from daphne import http_protocol, server, ws_protocol
from django.conf import settings
from twisted.internet import defer

from config import lifecycle
from config.admission import RetryAdvice
from core import worker
from core.metrics import HANDSHAKES_REFUSED

logger = logging.getLogger("config.daphne")


class WebSocketProtocol(ws_protocol.WebSocketProtocol):
    # Handshakes of this process admitted and not yet answered (the reactor runs one thread).
    pending_handshakes: ClassVar[int] = 0
    # The Retry-After of each refusal, spread over the time the process needs (config.admission).
    retry_advice: ClassVar[RetryAdvice | None] = None
    _admitted = False
    _admitted_at = 0.0
    _refused = False

    def onConnect(self, request: Any) -> Any:
        if lifecycle.draining.is_set():
            self._refuse("draining", "The server is shutting down; reconnect.")
        if WebSocketProtocol.pending_handshakes >= settings.WS_MAX_PENDING_HANDSHAKES:
            self._refuse("busy", "Too many connections at once; retry after Retry-After seconds.")
        WebSocketProtocol.pending_handshakes += 1
        self._admitted = True
        self._admitted_at = time.monotonic()
        return super().onConnect(request)

    def _refuse(self, metric_reason: str, reason: str) -> None:
        # Before daphne's onConnect: no application instance, no connection record.
        HANDSHAKES_REFUSED.labels(metric_reason).inc()
        self._refused = True
        raise ConnectionDeny(ConnectionDeny.SERVICE_UNAVAILABLE, reason)

    def failHandshake(self, reason: str, code: int = 400, responseHeaders: Any = None) -> None:
        self._answered()
        if code == ConnectionDeny.SERVICE_UNAVAILABLE:
            retry = ("Retry-After", str(_retry_advice().refused()))
            responseHeaders = [*(responseHeaders or []), retry]
        super().failHandshake(reason, code, responseHeaders)

    def serverAccept(self, subprotocol: Any = None) -> None:
        if self._admitted:
            _retry_advice().handshake_completed(time.monotonic() - self._admitted_at)
        self._answered()
        super().serverAccept(subprotocol)

    def serverReject(self) -> None:
        self._answered()
        super().serverReject()

    def onClose(self, wasClean: bool, code: Any, reason: Any) -> None:
        self._answered()
        if not self._refused:
            super().onClose(wasClean, code, reason)

    def _answered(self) -> None:
        if self._admitted:
            self._admitted = False
            WebSocketProtocol.pending_handshakes -= 1


def _retry_advice() -> RetryAdvice:
    if WebSocketProtocol.retry_advice is None:
        WebSocketProtocol.retry_advice = RetryAdvice(
            shortest=settings.WS_HANDSHAKE_RETRY_AFTER, bound=settings.WS_MAX_PENDING_HANDSHAKES
        )
    return WebSocketProtocol.retry_advice


class WebSocketFactory(server.WebSocketFactory):
    protocol = WebSocketProtocol

    def setProtocolOptions(self, **options: object) -> None:
        # 1009 in a close frame for an oversized frame, not a dropped connection (SPEC).
        super().setProtocolOptions(failByDrop=False, **options)


class WebRequest(http_protocol.WebRequest):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # daphne hands the raw body to Django; Twisted's own parse of it would answer a
        # malformed multipart body with a bare 400 before the API sees it.
        super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)


class HTTPFactory(http_protocol.HTTPFactory):
    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = WebRequest
        return protocol


class Server(server.Server):
    """On SIGTERM (Twisted stops the reactor; daphne then cancels every application), first
    drain: stop admitting handshakes, close every open socket with 1001 ("going away"), and give
    them up to SHUTDOWN_DRAIN_SECONDS to finish their clean-up (presence) before daphne cancels
    what is left. Clients reconnect to another process and resume with after_seq."""

    def kill_all_applications(self) -> Any:
        drained = defer.Deferred.fromFuture(asyncio.ensure_future(self._drain()))
        drained.addErrback(lambda failure: logger.error("drain failed: %s", failure.value))
        drained.addBoth(lambda _: super(Server, self).kill_all_applications())
        return drained

    async def _drain(self) -> None:
        lifecycle.draining.set()
        sockets = {
            protocol: details.get("application_instance")
            for protocol, details in list(self.connections.items())
            if isinstance(protocol, WebSocketProtocol) and protocol.state == protocol.STATE_OPEN
        }
        for protocol in sockets:
            # 1001 "going away": autobahn's sendClose() only lets applications send 1000 and
            # 3000-4999, so the frame is sent at the level below.
            protocol.sendCloseFrame(code=1001, reasonUtf8=b"server shutting down")
        running = [app for app in sockets.values() if app is not None and not app.done()]
        # The worker finishes the items in hand meanwhile; what it cannot finish in time is
        # claimed again by another process once its lease runs out.
        stopping = asyncio.ensure_future(
            asyncio.to_thread(worker.stop_in_process, settings.SHUTDOWN_DRAIN_SECONDS)
        )
        if running:
            await asyncio.wait(running, timeout=settings.SHUTDOWN_DRAIN_SECONDS)
        await asyncio.wait([stopping], timeout=settings.SHUTDOWN_DRAIN_SECONDS)
        logger.info("drained %d socket(s) for shutdown", len(sockets))


class _FormattedWhenLogged(str):
    """What autobahn's `pformat` returns here: the text is worked out only if a log line (or
    anything else) actually formats it. autobahn pretty-prints its whole configuration for a
    debug line on every connection, logged or not: a twentieth of a handshake's CPU."""

    def __new__(cls, value: object) -> "_FormattedWhenLogged":
        text = super().__new__(cls, "")
        text.value = value
        return text

    value: object

    def __str__(self) -> str:
        return pprint.pformat(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def install() -> None:
    """Make daphne build these (its server module looks them up when the server starts)."""
    server.WebSocketFactory = WebSocketFactory
    server.HTTPFactory = HTTPFactory
    autobahn_protocol.pformat = _FormattedWhenLogged  # type: ignore[assignment]
