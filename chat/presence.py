"""Who is online, shared by every server process through the database.

Each open socket is a SocketConnection row owned by its process's ServerProcess row; a user is
online while they have at least one. Processes heart-beat their row, and sweep the rows of
processes that stopped doing so (crashed, killed): those sockets are gone, and their users go
offline within PRESENCE_TIMEOUT.

Connect and disconnect lock the user's row while they count sockets, so two processes opening
and closing the same user's sockets at once always leave the right flag.
"""

import asyncio
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from accounts.models import User
from chat.async_db import in_worker_thread
from chat.groups import abroadcast, channel_layer, close_event, frame_event, user_group
from chat.loop_db import loop_connections
from chat.models import ServerProcess, SocketConnection
from chat.protocol.server import (
    CLOSE_DEACTIVATED,
    CLOSE_TOO_MANY_SOCKETS,
    PresenceFrame,
    presence_frame,
)
from chat.tasks import LoopTask
from core.metrics import PRESENCE_CORRECTIONS, PRESENCE_SWEEPS
from core.outages import DATABASE, dependency_failed
from core.transactions import after_commit
from support.matching import expert_became_eligible
from support.models import RequestStatus, SupportRequest

logger = logging.getLogger(__name__)

# This process's identity; its ServerProcess row is created lazily with its first socket.
PROCESS_ID = uuid.uuid4()


def presence_frame_of(*, user_id: UUID | str) -> PresenceFrame | None:
    """The user's current presence, as a `presence` frame (None if there is no such user)."""
    row = User.objects.filter(pk=user_id).values("is_online", "last_seen_at").first()
    if row is None:
        return None
    return presence_frame(user_id=str(user_id), **row)


# Run on every connect and disconnect that changes a user's presence: raw SQL, as building the
# ORM query cost more than the rest of the handshake's database work together.
_WATCHERS_SQL = (
    f"SELECT requester_id, expert_id FROM {SupportRequest._meta.db_table} "
    "WHERE status = %s AND (requester_id = %s OR expert_id = %s)"
)


def presence_watchers(*, user_id: UUID | str) -> set[str]:
    """The other participants of the user's ACTIVE requests: they are told of changes."""
    uid = UUID(str(user_id))
    db_uid = SupportRequest._meta.pk.get_db_prep_value(uid, connection)
    with connection.cursor() as cursor:
        cursor.execute(_WATCHERS_SQL, [RequestStatus.ACTIVE.value, db_uid, db_uid])
        pairs = cursor.fetchall()
    return _watchers_in(pairs, user_id=uid)


def _watchers_in(pairs: list[tuple[Any, ...]], *, user_id: UUID) -> set[str]:
    # (PostgreSQL returns UUIDs, SQLite their hex: both normalised.)
    return {str(UUID(str(pk))) for pair in pairs for pk in pair if pk is not None} - {str(user_id)}


@dataclass(frozen=True)
class PresenceChange:
    """A user went online or offline; `groups` are the watchers to tell."""

    user_id: str
    frame: PresenceFrame
    groups: tuple[str, ...]


def _presence_change(
    *, user_id: UUID | str, is_online: bool, last_seen_at: datetime
) -> PresenceChange:
    watchers = presence_watchers(user_id=user_id)
    return _presence_change_to(
        watchers, user_id=user_id, is_online=is_online, last_seen_at=last_seen_at
    )


def _presence_change_to(
    watchers: set[str], *, user_id: UUID | str, is_online: bool, last_seen_at: datetime
) -> PresenceChange:
    return PresenceChange(
        user_id=str(user_id),
        frame=presence_frame(user_id=str(user_id), is_online=is_online, last_seen_at=last_seen_at),
        groups=tuple(user_group(watcher) for watcher in sorted(watchers)),
    )


async def announce(changes: list[PresenceChange]) -> None:
    """Tell the watchers. Called from the event loop once the change is committed: a broadcast
    from a worker thread would wait on the loop, and hang a process shutting down."""
    for change in changes:
        if change.groups:
            await abroadcast(change.groups, frame_event(change.frame))


def _ensure_process_row() -> None:
    ServerProcess.objects.get_or_create(
        pk=PROCESS_ID, defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid()}
    )


@dataclass(frozen=True)
class Connected:
    """A socket recorded for an active user."""

    user: User  # as the socket knows its user: id, email, name, role, staff flag
    change: PresenceChange | None  # when this socket brought the user online
    surplus: list[str]  # the user's oldest sockets past WS_MAX_SOCKETS_PER_USER, to close


def presence_connect(
    *, channel_name: str, user_id: UUID | str, keep: int | None = None
) -> Connected | None:
    """Record an open socket of an active user; None if there is no such active user (the
    handshake is then refused). With `keep`, the user's sockets beyond the newest `keep`
    others are returned as surplus."""
    try:
        uid = UUID(str(user_id))
    except ValueError:  # a validly signed token with a malformed id
        return None
    now = timezone.now()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        before = _connect_in_one_statement(
            channel_name=channel_name, user_id=uid, now=now, keep=keep
        )
    else:
        with transaction.atomic():
            before = _connect_locked(channel_name=channel_name, user_id=uid, now=now, keep=keep)
    if before is None:
        return None
    change = None
    if not before.user_was_online:
        if before.user.is_expert:
            after_commit(expert_became_eligible, expert_id=uid)
        change = _presence_change(user_id=uid, is_online=True, last_seen_at=now)
    return Connected(user=before.user, change=change, surplus=before.surplus)


@dataclass(frozen=True)
class _Recorded:
    user: User
    user_was_online: bool
    surplus: list[str]


def _connect_locked(
    *, channel_name: str, user_id: UUID, now: datetime, keep: int | None
) -> _Recorded | None:
    # Lock the user row first (connect, disconnect and sweep all do): the count of sockets and
    # the is_online flag then change together.
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    others = SocketConnection.objects.filter(user=user).order_by("-connected_at", "-channel_name")
    surplus = [] if keep is None else list(others[keep:].values_list("channel_name", flat=True))
    _ensure_process_row()
    SocketConnection.objects.create(
        channel_name=channel_name, user=user, process_id=PROCESS_ID, connected_at=now
    )
    User.objects.filter(pk=user.pk).update(is_online=True, last_seen_at=now)
    return _Recorded(user=user, user_was_online=user.is_online, surplus=surplus)


# _connect_locked as one PostgreSQL statement, atomic by itself: the same lock (the user row
# first, active accounts only), the same reads and writes, one round trip instead of seven. A
# connect storm spends its time here. The statement's foreign-key checks run when it ends, after
# the process row exists; the surplus is read from the sockets as they were before this one. A
# socket already recorded is left as it is: the statement is run again, through the threads,
# when the event loop's connection failed without telling whether it had been committed.
_USERS = User._meta.db_table
_SOCKETS = SocketConnection._meta.db_table
_CONNECT_SQL = f"""
WITH locked AS (
    SELECT id, is_online, email, name, role, is_staff FROM {_USERS}
    WHERE id = %(user_id)s AND is_active FOR UPDATE
), process AS (
    INSERT INTO {ServerProcess._meta.db_table} (id, hostname, pid, started_at, heartbeat_at)
    SELECT %(process_id)s, %(hostname)s, %(pid)s, %(now)s, %(now)s FROM locked
    ON CONFLICT (id) DO NOTHING
), opened AS (
    INSERT INTO {_SOCKETS} (channel_name, user_id, process_id, connected_at)
    SELECT %(channel_name)s, id, %(process_id)s, %(now)s FROM locked
    ON CONFLICT (channel_name) DO NOTHING
), online AS (
    UPDATE {_USERS} SET is_online = true, last_seen_at = %(now)s WHERE id IN (SELECT id FROM locked)
)
SELECT is_online, email, name, role, is_staff, ARRAY(
    SELECT channel_name FROM {_SOCKETS} WHERE user_id = locked.id
    ORDER BY connected_at DESC, channel_name DESC OFFSET %(keep)s
) FROM locked
"""
# No surplus: more sockets than anyone holds.
_KEEP_ALL = 2**31 - 1


def _connect_params(
    *, channel_name: str, user_id: UUID, now: datetime, keep: int | None
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "process_id": PROCESS_ID,
        "hostname": socket.gethostname()[:255],
        "pid": os.getpid(),
        "now": now,
        "channel_name": channel_name,
        "keep": _KEEP_ALL if keep is None else keep,
    }


def _connect_in_one_statement(
    *, channel_name: str, user_id: UUID, now: datetime, keep: int | None
) -> _Recorded | None:
    params = _connect_params(channel_name=channel_name, user_id=user_id, now=now, keep=keep)
    with connection.cursor() as cursor:
        cursor.execute(_CONNECT_SQL, params)
        row = cursor.fetchone()
    return None if row is None else _recorded(row, user_id=user_id)


def _recorded(row: tuple[Any, ...], *, user_id: UUID) -> _Recorded:
    was_online, email, name, role, is_staff, surplus = row
    user = User(pk=user_id, email=email, name=name, role=role, is_staff=is_staff, is_active=True)
    return _Recorded(user=user, user_was_online=was_online, surplus=list(surplus))


async def presence_connect_on_loop(
    *, channel_name: str, user_id: UUID | str, keep: int | None = None
) -> Connected | None:
    """`presence_connect` on the event loop's own connections (chat.loop_db): the same statement,
    without the hop to an ORM thread, for the handshake of a connect storm. None when the caller
    must take `presence_connect` instead: no such connections here, a statement that failed (it
    wrote nothing), or no such active user (which that path then confirms and refuses)."""
    connections = loop_connections()
    if connections is None:
        return None
    try:
        uid = UUID(str(user_id))
    except ValueError:
        return None
    now = timezone.now()
    params = _connect_params(channel_name=channel_name, user_id=uid, now=now, keep=keep)
    row = await connections.fetch_one(_CONNECT_SQL, params)
    if row is None:
        return None
    # Recorded from here on: what is left must not send the caller down the other path.
    before = _recorded(row, user_id=uid)
    change = None
    if not before.user_was_online:
        if before.user.is_expert:
            await in_worker_thread(expert_became_eligible)(expert_id=uid)
        pairs = await connections.fetch_all(_WATCHERS_SQL, [RequestStatus.ACTIVE.value, uid, uid])
        if pairs is None:
            watchers = await in_worker_thread(presence_watchers)(user_id=uid)
        else:
            watchers = _watchers_in(pairs, user_id=uid)
        change = _presence_change_to(watchers, user_id=uid, is_online=True, last_seen_at=now)
    return Connected(user=before.user, change=change, surplus=before.surplus)


@transaction.atomic
def presence_disconnect(*, channel_name: str, user_id: UUID | str) -> PresenceChange | None:
    """Forget a closed socket. Returns the change when it was the user's last one."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        return None
    SocketConnection.objects.filter(pk=channel_name).delete()
    return _mark_offline_if_no_sockets(user)


def _mark_offline_if_no_sockets(user: User) -> PresenceChange | None:
    """Caller holds the user's row lock."""
    has_sockets = SocketConnection.objects.filter(user_id=user.pk).exists()
    return _set_presence_locked(user, is_online=has_sockets)


def _set_presence_locked(user: User, *, is_online: bool) -> PresenceChange | None:
    """Record the user's presence (and now as last seen). `user` was read under its row lock,
    so its is_online is current: the change is returned only when the flag flips."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(is_online=is_online, last_seen_at=now)
    if user.is_online == is_online:
        return None
    return _presence_change(user_id=user.pk, is_online=is_online, last_seen_at=now)


def process_heartbeat(*, sockets: dict[str, str]) -> list[PresenceChange]:
    """Tell other processes this one is alive (by the database's clock, the one every process
    shares). If it was swept as dead meanwhile (it could not reach the database for longer than
    PRESENCE_TIMEOUT), its sockets' rows went with it: the ones still open are recorded again,
    and the users that brings back online are returned, to be announced like any change."""
    if ServerProcess.objects.filter(pk=PROCESS_ID).update(heartbeat_at=Now()):
        return []
    _ensure_process_row()
    back = []
    for channel_name, user_id in list(sockets.items()):
        try:
            connected = presence_connect(channel_name=channel_name, user_id=user_id)
        except IntegrityError:  # closed meanwhile, or already back
            continue
        if connected is not None and connected.change is not None:
            back.append(connected.change)
    if sockets:
        PRESENCE_CORRECTIONS.labels("restored").inc(len(sockets))
        logger.warning("presence: %d open socket(s) recorded again after a sweep", len(sockets))
    return back


def presence_sweep(*, local_predecessors: bool = False) -> list[PresenceChange]:
    """Drop processes that stopped heart-beating; returns the users that went offline. With
    `local_predecessors`, drop instead this host's processes that no longer run, whenever they
    last beat: a restart clears what its predecessor left behind at once."""
    if local_predecessors:
        stale = Q(pk__in=_local_predecessors())
    else:
        stale = Q(heartbeat_at__lt=Now() - timedelta(seconds=settings.PRESENCE_TIMEOUT))
    with transaction.atomic():
        dead = list(ServerProcess.objects.filter(stale).values_list("pk", flat=True))
        if not dead:
            return []
        user_ids = set(
            SocketConnection.objects.filter(process_id__in=dead).values_list("user_id", flat=True)
        )
        ServerProcess.objects.filter(pk__in=dead).delete()  # cascades to their sockets
    PRESENCE_SWEEPS.inc()
    logger.warning("presence: swept %d server process(es) that stopped heart-beating", len(dead))
    offline = []
    for user_id in sorted(user_ids, key=str):
        with transaction.atomic():
            user = User.objects.select_for_update().filter(pk=user_id).first()
            change = _mark_offline_if_no_sockets(user) if user else None
        if change is not None:
            offline.append(change)
    PRESENCE_CORRECTIONS.labels("offline").inc(len(offline))
    return offline


def deactivated_sockets(*, sockets: dict[str, str]) -> list[str]:
    """The sockets (of `sockets`: channel name -> user id) whose user is no longer active."""
    inactive = {
        str(pk)
        for pk in User.objects.filter(pk__in=set(sockets.values()), is_active=False).values_list(
            "pk", flat=True
        )
    }
    return [channel for channel, user_id in sockets.items() if user_id in inactive]


def _local_predecessors() -> list[UUID]:
    """Processes recorded for this host whose process no longer runs here."""
    rows = ServerProcess.objects.filter(hostname=socket.gethostname()[:255]).exclude(pk=PROCESS_ID)
    return [pk for pk, pid in rows.values_list("pk", "pid") if not _process_runs(pid)]


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


# --- The process's heartbeat task -------------------------------------------------------------
class PresenceKeeper:
    """The sockets this process holds, and the task that heart-beats for the process and sweeps
    the processes that stopped. Every server process runs it from its first request on, with
    sockets or without: the one live process left must still sweep the dead ones.

    A process sweeps others only after it has itself been able to heart-beat for a whole
    PRESENCE_TIMEOUT: when the database comes back from an outage, every process's heartbeat is
    stale for the same reason, and none of them is dead."""

    def __init__(self) -> None:
        self._local_sockets: dict[str, str] = {}
        self._heartbeat = LoopTask("presence-heartbeat", self._heartbeat_forever)
        # Since when this process's heartbeats have succeeded without a break (None: not now).
        self._beating_since: float | None = None
        self._swept_predecessors = False

    def start(self) -> None:
        self._heartbeat.ensure_running()

    def stop(self) -> None:
        self._heartbeat.stop()

    async def stopped(self) -> None:
        await self._heartbeat.stopped()

    async def socket_opened(self, *, channel_name: str, user_id: UUID | str) -> User | None:
        """Record the socket; its user as recorded, or None if there is no such active user.
        A user over WS_MAX_SOCKETS_PER_USER loses their oldest sockets (4008), wherever they
        are: a phone that lost its network is never locked out by its own stale sockets."""
        keep = settings.WS_MAX_SOCKETS_PER_USER - 1
        connected = await presence_connect_on_loop(
            channel_name=channel_name, user_id=user_id, keep=keep
        ) or await in_worker_thread(presence_connect)(
            channel_name=channel_name, user_id=user_id, keep=keep
        )
        if connected is None:
            return None
        self._local_sockets[channel_name] = str(user_id)
        self._heartbeat.ensure_running()
        await announce([connected.change] if connected.change else [])
        for surplus in connected.surplus:
            await channel_layer().send(surplus, dict(close_event(code=CLOSE_TOO_MANY_SOCKETS)))
        return connected.user

    async def socket_closed(self, *, channel_name: str, user_id: UUID | str) -> None:
        self._local_sockets.pop(channel_name, None)
        change = await in_worker_thread(presence_disconnect)(
            channel_name=channel_name, user_id=user_id
        )
        await announce([change] if change else [])

    async def _heartbeat_forever(self) -> None:
        interval = max(settings.PRESENCE_TIMEOUT / 3, 0.1)
        while True:
            try:
                await self.beat()
            except Exception as exc:
                self._beating_since = None
                if dependency_failed(exc) is None:
                    logger.exception("presence heartbeat failed")
            await asyncio.sleep(interval)

    async def beat(self) -> None:
        """One heartbeat, and a sweep when this process may judge others (see the class)."""
        back = await in_worker_thread(process_heartbeat)(sockets=dict(self._local_sockets))
        DATABASE.answered()
        now = time.monotonic()
        if self._beating_since is None:
            self._beating_since = now
        changes = list(back)
        if not self._swept_predecessors:
            changes += await in_worker_thread(presence_sweep)(local_predecessors=True)
            self._swept_predecessors = True
        elif now - self._beating_since >= settings.PRESENCE_TIMEOUT:
            changes += await in_worker_thread(presence_sweep)()
        await announce(changes)
        # Deactivated accounts lose their sockets through an event (chat.notifications); this
        # catches what the event missed (Redis down at that moment, a change made in SQL).
        for channel in await in_worker_thread(deactivated_sockets)(
            sockets=dict(self._local_sockets)
        ):
            PRESENCE_CORRECTIONS.labels("deactivated").inc()
            await channel_layer().send(channel, dict(close_event(code=CLOSE_DEACTIVATED)))
