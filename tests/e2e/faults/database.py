"""The throwaway database, seen from the test process through the ORM.

The servers under test use the throwaway PostgreSQL; the test process keeps its own `default`
database (pytest-django's) and reaches the throwaway one as an extra connection alias, only
while a fault scenario runs. It is registered and removed around each scenario, so nothing else
in the session (pytest-django's test database set-up in particular) ever sees it.
"""

import copy
import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ParamSpec, TypeVar
from uuid import UUID

import environ
from asgiref.sync import sync_to_async
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from accounts.models import Role, User
from chat.models import Message, ServerProcess, SocketConnection
from support.models import ExpertProfile, RequestStatus, SupportRequest
from tests.e2e.scenario import access_token

ALIAS = "faults"
P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def throwaway_database(url: str) -> Iterator[None]:
    """`connections[ALIAS]` is the database at `url` inside the block."""
    configured = connections.configure_settings(
        {
            DEFAULT_DB_ALIAS: copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS]),
            ALIAS: environ.Env.db_url_config(url),
        }
    )[ALIAS]
    connections.settings[ALIAS] = configured
    try:
        yield
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]
        del connections.settings[ALIAS]


def closing(function: Callable[P, T]) -> Callable[P, T]:
    """Close the thread's connection after the call: the database may be restarted (which
    kills every session) before the next one."""

    @functools.wraps(function)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return function(*args, **kwargs)
        finally:
            connections[ALIAS].close()

    return call


async def in_throwaway_db(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ORM code in a worker thread (never in the event loop)."""
    return await sync_to_async(closing(function), thread_sensitive=False)(*args, **kwargs)


@dataclass(frozen=True)
class Person:
    user_id: UUID
    token: str


@dataclass(frozen=True)
class Pair:
    """A customer and an expert chatting in one ACTIVE request. The customer also has a second
    ACTIVE request (`spare_request_id`) with an expert who never connects: joining it is a frame
    that needs both the database and a new Redis subscription."""

    request_id: UUID
    spare_request_id: UUID
    user: Person
    expert: Person


def _person(*, role: str, label: str) -> User:
    user = User.objects.db_manager(ALIAS).create_user(
        email=f"{label}-{uuid.uuid4().hex[:10]}@faults.invalid", name=label, role=role
    )
    if role == Role.EXPERT:
        # Not available: matching never hands these experts anything else.
        ExpertProfile.objects.using(ALIAS).create(user=user, is_available=False)
    return user


def _active_request(*, requester: User, expert: User, title: str) -> SupportRequest:
    return SupportRequest.objects.using(ALIAS).create(
        requester=requester,
        expert=expert,
        title=title,
        status=RequestStatus.ACTIVE,
        accepted_at=timezone.now(),
    )


@closing
def create_pairs(count: int) -> list[Pair]:
    pairs = []
    with transaction.atomic(using=ALIAS):
        for number in range(count):
            user = _person(role=Role.USER, label=f"customer {number}")
            expert = _person(role=Role.EXPERT, label=f"expert {number}")
            absent = _person(role=Role.EXPERT, label=f"absent expert {number}")
            request = _active_request(requester=user, expert=expert, title=f"Chat {number}")
            spare = _active_request(requester=user, expert=absent, title=f"Spare {number}")
            pairs.append(
                Pair(
                    request_id=request.pk,
                    spare_request_id=spare.pk,
                    user=Person(user_id=user.pk, token=access_token(user)),
                    expert=Person(user_id=expert.pk, token=access_token(expert)),
                )
            )
    return pairs


@dataclass(frozen=True)
class StoredMessage:
    seq: int
    sender_id: str
    client_id: str | None
    content: str


def stored_messages(request_ids: list[UUID]) -> dict[str, list[StoredMessage]]:
    """Every stored message of these requests, by request, in seq order."""
    stored: dict[str, list[StoredMessage]] = {str(request_id): [] for request_id in request_ids}
    rows = (
        Message.objects.using(ALIAS)
        .filter(request_id__in=request_ids)
        .order_by("request_id", "seq")
        .values_list("request_id", "seq", "sender_id", "client_id", "content")
    )
    for request_id, seq, sender_id, client_id, content in rows:
        stored[str(request_id)].append(StoredMessage(seq, str(sender_id), client_id, content))
    return stored


def online_flags(user_ids: list[UUID]) -> dict[str, bool]:
    rows = User.objects.using(ALIAS).filter(pk__in=user_ids).values_list("pk", "is_online")
    return {str(pk): is_online for pk, is_online in rows}


def process_is_registered(pid: int) -> bool:
    """Whether a server process with this PID still has its presence row (until swept)."""
    return ServerProcess.objects.using(ALIAS).filter(pid=pid).exists()


def sockets_of(pids: list[int]) -> int:
    return SocketConnection.objects.using(ALIAS).filter(process__pid__in=pids).count()


@closing
def forget_server_processes() -> None:
    """Remove every process and socket row: the next scenario starts like a fresh deployment,
    with no dead processes of this one for its servers to sweep (and log)."""
    ServerProcess.objects.using(ALIAS).all().delete()
    User.objects.using(ALIAS).filter(is_online=True).update(is_online=False)
