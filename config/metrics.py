"""`/metrics`: the Prometheus metrics of core.metrics, for the operators' scraper only.

Access: off (404) unless METRICS_TOKEN or METRICS_ALLOWED_ADDRESSES is set. With a token the
scraper must send `Authorization: Bearer <token>` (401 otherwise); with an allow-list the client
address (the proxy's X-Forwarded-For only when the server trusts it, as for every other limit)
must be in it (403 otherwise); with both, both.

Several processes: with PROMETHEUS_MULTIPROC_DIR set (config.serve sets it for its workers),
every process writes its values to files in that directory and any process's `/metrics` reports
all of them: counters summed, per-process gauges with a `pid` label. Without it, each process
reports its own values and each is scraped on its own address (docs/operations.md).
"""

import glob
import hmac
import ipaddress
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from core import worker
from core.metrics import HTTP_REQUESTS, HTTP_SECONDS, PREFIX
from core.outages import dependency_failed

logger = logging.getLogger(__name__)

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# A live-gauge file of prometheus-client's multiprocess mode: gauge_<mode>_<pid>.db.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+_(\d+)\.db$")


# --- the endpoint ----------------------------------------------------------------------------


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    token, allowed = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_ADDRESSES
    if not token and not allowed:
        return HttpResponse("Not found.\n", status=404, content_type="text/plain")
    if allowed and not _address_allowed(request.META.get("REMOTE_ADDR", ""), allowed):
        return HttpResponse("Forbidden.\n", status=403, content_type="text/plain")
    if token and not _bearer_matches(request.headers.get("Authorization", ""), token):
        refused = HttpResponse("Unauthorized.\n", status=401, content_type="text/plain")
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def _address_allowed(address: str, allowed: Iterable[Any]) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(client in network for network in allowed)


def _bearer_matches(authorization: str, token: str) -> bool:
    scheme, _, value = authorization.partition(" ")
    # Constant time: the comparison must not tell how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


def exposition() -> bytes:
    """The text every scrape gets: the processes' metrics, then the worker's backlog."""
    if os.environ.get(MULTIPROC_DIR_VARIABLE):
        forget_dead_processes()
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        own = generate_latest(processes)
    else:
        own = generate_latest(REGISTRY)
    backlog = CollectorRegistry()
    backlog.register(WorkerBacklogCollector())
    return own + generate_latest(backlog)


class WorkerBacklogCollector(Collector):
    """The worker's backlog, read from the database at each scrape: the same figures from
    whichever process answers, whether the worker runs in the servers or alone."""

    def describe(self) -> Iterable[Metric]:
        return list(self._families())

    def collect(self) -> Iterable[Metric]:
        pending, oldest = self._families()
        try:
            for job in worker.registered():
                if job.pending is not None:
                    pending.add_metric([job.name], job.pending())
                if job.backlog is not None:
                    oldest.add_metric([job.name], job.backlog() or 0.0)
        except Exception as exc:
            # The database is away (its outage is logged once) or a query failed: the scrape
            # still answers with everything else, and these series go missing.
            if dependency_failed(exc) is None:
                logger.exception("the worker's backlog could not be read")
            return []
        return [pending, oldest]

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                f"{PREFIX}_worker_pending_items",
                "Items of each worker job that are due now and not yet done.",
                labels=["worker_job"],
            ),
            GaugeMetricFamily(
                f"{PREFIX}_worker_oldest_due_seconds",
                "Seconds the oldest due item of each worker job has waited (0: none is due).",
                labels=["worker_job"],
            ),
        )


# --- several processes -------------------------------------------------------------------------


def forget_dead_processes() -> None:
    """Drop the per-process gauges of processes that no longer run (a process killed before its
    launcher could say so), so they stop being reported. Their counters stay: the totals of a
    counter never go down. Called as each server process starts, and at each scrape."""
    directory = os.environ.get(MULTIPROC_DIR_VARIABLE)
    if not directory:
        return
    for path in glob.glob(os.path.join(directory, "gauge_live*.db")):
        found = _LIVE_GAUGE_FILE.search(path)
        if found and not _process_runs(int(found.group(1))):
            multiprocess.mark_process_dead(int(found.group(1)), directory)


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # runs, as another user
        return True
    return True


# --- HTTP requests -------------------------------------------------------------------------------


class HttpMetricsMiddleware:
    """Counts every HTTP answer by route (the URL pattern that matched, so ids in paths do not
    make a series each), method and status, and times it."""

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
        started = time.monotonic()
        response = self.get_response(request)
        _record(request, response, started)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = await self.get_response(request)
        _record(request, response, started)
        return response


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unresolved"


def _record(request: HttpRequest, response: HttpResponse, started: float) -> None:
    route = route_of(request)
    method = request.method if request.method in _HTTP_METHODS else "other"
    HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
    HTTP_SECONDS.labels(route).observe(time.monotonic() - started)


def metric_names() -> Iterator[str]:
    """The name of every sample `/metrics` can report (a histogram's `_bucket`, `_sum` and
    `_count`, a counter's `_total`...): what the dashboard and the alert rules may refer to."""
    families = [*REGISTRY.collect(), *WorkerBacklogCollector().describe()]
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
    for family in families:
        for suffix in suffixes.get(family.type, ("",)):
            yield family.name + suffix
