"""Timing the paths at one size: each against the real server process over one kept-alive HTTP
connection (median of N calls), and its query count in this process (one call)."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from bench.data_scale.populate import LONG_CONVERSATION, SPARE_EXPERTS, SPARE_REQUESTS, Size
from core.keyset import encode_cursor, ordering_of
from support.models import RequestStatus, SupportRequest

# A path stops being called after this long (at least MIN_CALLS times): the slowest ones at L
# take seconds a call.
PATH_BUDGET_SECONDS = 30.0
MIN_CALLS = 3


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None = None


@dataclass(frozen=True)
class Path:
    name: str
    # The call to make, by call number (each POST acts on something of its own).
    call: Callable[[int], Call]
    grows: bool  # listed among the paths that grew with the data (the table)


def _bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


def _session_cookie(user: User) -> dict[str, str]:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}"}


def _cursor_after(rows: int) -> str:
    """The cursor a client holds after walking `rows` of the staff list (page 200 of 20)."""
    newest_first = SupportRequest.objects.order_by("-created_at", "-id")
    row = newest_first[rows - 1]
    return encode_cursor(ordering_of(newest_first), row, backwards=False)


def paths(size: Size) -> list[Path]:
    staff = User.objects.get(email="u0@scale.invalid")
    customer = User.objects.get(email=f"u{size.experts + 1}@scale.invalid")
    expert = User.objects.get(email="u10@scale.invalid")
    spare_experts = list(
        User.objects.filter(expert_profile__is_available=False).order_by("email")[:SPARE_EXPERTS]
    )
    spare_requests = list(
        SupportRequest.objects.filter(status=RequestStatus.REQUESTED, skill__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SPARE_REQUESTS]
    )
    long_request = SupportRequest.objects.get(title="A long conversation")
    reviewed_expert = User.objects.filter(reviews_received__isnull=False).first() or expert
    staff_api, staff_admin = _bearer(staff), _session_cookie(staff)
    customer_api, expert_api = _bearer(customer), _bearer(expert)
    accept_tokens = [_bearer(user) for user in spare_experts]

    def get(path: str, headers: dict[str, str]) -> Callable[[int], Call]:
        return lambda n: Call("GET", path, headers)

    def accept(n: int) -> Call:
        index = n % min(len(spare_requests), len(accept_tokens))
        return Call("POST", f"/api/requests/{spare_requests[index]}/accept/", accept_tokens[index])

    def create(n: int) -> Call:
        return Call("POST", "/api/requests/", customer_api, {"title": f"Timed request {n}"})

    admin_requests = "/admin/support/supportrequest/"
    return [
        Path("staff GET requests/ page 1", get("/api/requests/?page=1", staff_api), True),
        Path("staff GET requests/ page 200", get("/api/requests/?page=200", staff_api), True),
        Path(
            "staff GET requests/ by cursor, 4,000 rows in",
            get(f"/api/requests/?cursor={_cursor_after(4_000)}", staff_api),
            True,
        ),
        Path("GET admin/stats/", get("/api/admin/stats/", staff_api), True),
        Path(
            "GET admin/stats/?by_expert=false",
            get("/api/admin/stats/?by_expert=false", staff_api),
            True,
        ),
        Path("POST requests/ without a skill", create, True),
        Path("POST accept/", accept, True),
        Path("admin: requests list", get(admin_requests, staff_admin), True),
        Path(
            f"admin: a request with {LONG_CONVERSATION:,} messages",
            get(f"{admin_requests}{long_request.pk}/change/", staff_admin),
            True,
        ),
        Path("GET experts/", get("/api/experts/", customer_api), True),
        Path("customer GET requests/", get("/api/requests/", customer_api), False),
        Path("expert GET requests/", get("/api/requests/", expert_api), False),
        Path("expert GET requests/queue/", get("/api/requests/queue/", expert_api), False),
        Path(
            "GET experts/?skill=&online=",
            get("/api/experts/?skill=skill-3&online=true", customer_api),
            False,
        ),
        Path(
            "history page (50)",
            get(
                f"/api/requests/{long_request.pk}/messages/?limit=50",
                _bearer(long_request.requester),
            ),
            False,
        ),
        Path(
            "GET experts/{id}/reviews/",
            get(f"/api/experts/{reviewed_expert.pk}/reviews/", customer_api),
            False,
        ),
    ]


@dataclass
class Timing:
    median_ms: float
    calls: int
    queries: int | None
    statuses: list[int]


def time_path(path: Path, *, base_url: str, calls: int, counter: int) -> tuple[Timing, int]:
    """Median over `calls` calls (fewer past the budget); `counter` numbers the POSTs."""
    parts = urlsplit(base_url)
    connection_ = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
    durations, statuses = [], []
    started = time.perf_counter()
    try:
        for _ in range(calls):
            call = path.call(counter)
            counter += 1
            body = json.dumps(call.body).encode() if call.body is not None else None
            headers = {"Accept": "application/json", "Host": "127.0.0.1", **call.headers}
            if body is not None:
                headers["Content-Type"] = "application/json"
            began = time.perf_counter()
            connection_.request(call.method, call.path, body=body, headers=headers)
            answer = connection_.getresponse()
            answer.read()
            durations.append((time.perf_counter() - began) * 1000)
            statuses.append(answer.status)
            spent = time.perf_counter() - started
            if len(durations) >= MIN_CALLS and spent > PATH_BUDGET_SECONDS:
                break
    finally:
        connection_.close()
    queries = _count_queries(path.call(counter))
    counter += 1
    timing = Timing(
        median_ms=round(statistics.median(durations), 1),
        calls=len(durations),
        queries=queries,
        statuses=sorted(set(statuses)),
    )
    return timing, counter


def _count_queries(call: Call) -> int | None:
    """The queries one call makes, run in this process through Django's test client."""
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {}
    for name, value in call.headers.items():
        if name == "Cookie":
            key, _, session = value.partition("=")
            client.cookies[key] = session
        else:
            headers[name] = value
    # Django's query log keeps the last 9,000 queries; the slowest pages make more.
    connection.queries_limit = 1_000_000
    connection.queries_log = deque(maxlen=connection.queries_limit)
    with CaptureQueriesContext(connection) as captured:
        if call.method == "GET":
            client.get(call.path, headers=headers)
        else:
            client.post(
                call.path, call.body or {}, content_type="application/json", headers=headers
            )
    return len(captured.captured_queries)
