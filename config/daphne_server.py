"""daphne's server, as config.daphne_main runs it: admission control for WebSocket handshakes,
a graceful drain on SIGTERM, 1009 for oversized frames, and no form parsing by Twisted.

Admission control: a connect storm (every client of a restarted process reconnecting at once)
would otherwise start thousands of handshakes together; each waits behind the others for the
database and Redis until daphne's handshake timeout kills it, and the clients' retries recreate
the storm. Past WS_MAX_PENDING_HANDSHAKES handshakes in progress, a new one waits its turn if
it will come soon (WS_HANDSHAKE_QUEUE_SECONDS), and is otherwise refused at once with 503 and
Retry-After, before any application work: the ones admitted finish quickly, and refused clients
come back, spread out by their jittered backoff (docs/websocket.md). config.admission decides.
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
from config.admission import Admission, RetryAdvice, Verdict
from core import worker
from core.metrics import HANDSHAKES_REFUSED, HANDSHAKES_WAITING

logger = logging.getLogger("config.daphne")


class WebSocketProtocol(ws_protocol.WebSocketProtocol):
    # This process's handshakes: in progress, and waiting their turn (config.admission). The
    # reactor runs one thread.
    admission: ClassVar[Admission | None] = None
    _started = False
    _started_at = 0.0
    # Started with the process at its bound: its duration tells the rate (config.admission).
    _at_bound = False
    _answered_yet = False
    _request: Any = None
    # What autobahn waits on while the handshake is queued (fired when it starts or is refused).
    _turn: defer.Deferred | None = None

    def onConnect(self, request: Any) -> Any:
        if lifecycle.draining.is_set():
            raise self._refusal("draining", DRAINING)
        self._request = request
        verdict = _admission().arrive(self)
        if verdict is Verdict.STARTED:
            return self._begin()
        if verdict is Verdict.QUEUED:
            self._turn = defer.Deferred()
            _QueueSweep.soon()
            return self._turn
        raise self._refusal("busy", BUSY)

    def _begin(self) -> Any:
        self._started = True
        self._started_at = time.monotonic()
        self._at_bound = _admission().at_bound()
        return super().onConnect(self._request)

    def start(self) -> None:
        """Its turn came (config.admission): the handshake goes on where it was queued."""
        assert self._turn is not None
        defer.maybeDeferred(self._begin).chainDeferred(self._turn)

    def turn_away(self) -> None:
        """It waited too long after all, or the process is shutting down: 503."""
        assert self._turn is not None
        reason, detail = ("draining", DRAINING) if lifecycle.draining.is_set() else ("busy", BUSY)
        self._turn.errback(self._refusal(reason, detail))

    def _refusal(self, metric_reason: str, reason: str) -> ConnectionDeny:
        # Before daphne's onConnect: no application instance, no connection record.
        HANDSHAKES_REFUSED.labels(metric_reason).inc()
        return ConnectionDeny(ConnectionDeny.SERVICE_UNAVAILABLE, reason)

    def failHandshake(self, reason: str, code: int = 400, responseHeaders: Any = None) -> None:
        self._answered()
        if code == ConnectionDeny.SERVICE_UNAVAILABLE:
            retry = ("Retry-After", str(_admission().retry_after()))
            responseHeaders = [*(responseHeaders or []), retry]
        super().failHandshake(reason, code, responseHeaders)

    def serverAccept(self, subprotocol: Any = None) -> None:
        if self._at_bound and not self._answered_yet:
            _admission().advice.handshake_completed(time.monotonic() - self._started_at)
        self._answered()
        super().serverAccept(subprotocol)

    def serverReject(self) -> None:
        self._answered()
        super().serverReject()

    def onClose(self, wasClean: bool, code: Any, reason: Any) -> None:
        self._answered()
        if self._started:
            super().onClose(wasClean, code, reason)

    def _answered(self) -> None:
        """Answered, or hung up on: the place in progress or in the queue is free again."""
        if not self._answered_yet and self._request is not None:
            self._answered_yet = True
            _admission().finished(started=self._started, handshake=self)


BUSY = "Too many connections at once; retry after Retry-After seconds."
DRAINING = "The server is shutting down; reconnect."


def _admission() -> Admission:
    if WebSocketProtocol.admission is None:
        bound = settings.WS_MAX_PENDING_HANDSHAKES
        WebSocketProtocol.admission = Admission(
            bound=bound,
            queue_seconds=settings.WS_HANDSHAKE_QUEUE_SECONDS,
            advice=RetryAdvice(shortest=settings.WS_HANDSHAKE_RETRY_AFTER, bound=bound),
        )
    return WebSocketProtocol.admission


# How often the queue is sorted out (config.admission): a refusal is at most this late.
SWEEP_SECONDS = 0.1


class _QueueSweep:
    timer: asyncio.TimerHandle | None = None

    @classmethod
    def soon(cls) -> None:
        # daphne's reactor runs on asyncio's loop.
        if cls.timer is None:
            cls.timer = asyncio.get_running_loop().call_later(SWEEP_SECONDS, cls.run)

    @classmethod
    def run(cls) -> None:
        cls.timer = None
        admission = _admission()
        admission.sweep()
        # Read here rather than counted on each arrival: a storm queues thousands a second.
        HANDSHAKES_WAITING.set(len(admission.waiting))
        if admission.waiting:
            cls.soon()


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
        _admission().turn_away_all()
        HANDSHAKES_WAITING.set(0)
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
