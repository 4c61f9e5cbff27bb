"""Writing chat messages. The REST API and the WebSocket consumer both post through here."""

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from accounts.models import User
from chat.attachments.services import attachments_claim
from chat.events import MessageStored
from chat.groups import broadcast, message_event, read_event, request_group
from chat.models import MESSAGE_ATTACHMENTS_MAX, MESSAGE_MAX_CHARS, Message
from chat.protocol.server import ReadFrame, read_frame
from chat.selectors import request_for_participant
from chat.serializers import message_data
from core.errors import InvalidInput, NotActive, NotAllowed
from core.events import idle_conditions, publish
from core.metrics import MESSAGES_STORED
from core.transactions import after_commit
from support.models import RequestStatus, SupportRequest

_REQUESTS = SupportRequest._meta.db_table
_MESSAGES = Message._meta.db_table
_USERS = User._meta.db_table
# The largest value a seq column holds (PositiveIntegerField: a 32-bit integer on PostgreSQL).
_SEQ_MAX = 2**31 - 1

# Takes the request's next seq, checking on the way that it is ACTIVE and that the sender takes
# part and is still an active account (a socket of a user staff just deactivated may get one
# more frame in before it is closed). The row lock this UPDATE holds until commit serialises
# seq assignment per request, so seqs have no gaps or repeats.
# Sending moves the sender's own read position to the new message.
# The sender's read position moves to the new message; the first message of anyone but the
# requester is the request's first response (when, and by whom).
_NEXT_SEQ_SQL = (
    f"UPDATE {_REQUESTS} SET last_seq = last_seq + 1, "
    "requester_read_seq = CASE WHEN requester_id = %s THEN last_seq + 1 "
    "ELSE requester_read_seq END, "
    "expert_read_seq = CASE WHEN expert_id = %s THEN last_seq + 1 ELSE expert_read_seq END, "
    "first_response_at = CASE WHEN first_response_at IS NULL AND requester_id <> %s "
    "THEN %s ELSE first_response_at END, "
    "first_responder_id = CASE WHEN first_response_at IS NULL AND requester_id <> %s "
    "THEN %s ELSE first_responder_id END "
    "WHERE id = %s AND status = %s AND (requester_id = %s OR expert_id = %s) "
    f"AND EXISTS (SELECT 1 FROM {_USERS} WHERE id = %s AND is_active)"
)


@functools.cache
def _store_sql_postgres(conditions: tuple[str, ...] = ()) -> str:
    """On PostgreSQL the seq and the insert are one statement: one round trip, and atomic on its
    own (a failed insert, such as a repeated client_id, undoes the seq bump with it). It stores
    nothing unless every one of `conditions` holds as well."""
    guard = "".join(f" AND ({condition})" for condition in conditions)
    return (
        f"WITH next AS ({_NEXT_SEQ_SQL}{guard} RETURNING last_seq) "
        f"INSERT INTO {_MESSAGES} (request_id, sender_id, seq, content, client_id, created_at) "
        "SELECT %s, %s, last_seq, %s, %s, %s FROM next RETURNING id, seq"
    )


# After a message had to take the transaction because some handler of MessageStored had work
# (webhook endpoints want messages), this process goes straight to the transaction for a while
# rather than trying the single statement first every time.
_STORE_ALONE_PAUSE_SECONDS = 30.0
_store_alone_paused_until = 0.0


def message_post(
    *,
    request_id: UUID | str,
    sender: User,
    content: str,
    client_id: str | None = None,
    attachment_ids: Sequence[UUID] = (),
) -> tuple[Message, bool]:
    """Store a message and broadcast it to the request's room after commit.

    Returns (message, created). With a `client_id` already used by this sender in this request,
    nothing is stored or broadcast and the original message is returned with created=False.
    `attachment_ids` are uploads of the sender into this request that the message carries
    (chat.attachments.services.attachments_claim).
    """
    message, created = message_store(
        request_id=request_id,
        sender=sender,
        content=content,
        client_id=client_id,
        attachment_ids=attachment_ids,
    )
    if created:
        event = message_event(message_data(message))
        transaction.on_commit(lambda: broadcast([request_group(request_id)], event))
    return message, created


def message_store(
    *,
    request_id: UUID | str,
    sender: User,
    content: str,
    client_id: str | None = None,
    attachment_ids: Sequence[UUID] = (),
) -> tuple[Message, bool]:
    """`message_post` without the broadcast, for a caller that broadcasts itself once this has
    returned (the WebSocket consumer, from its event loop). Committed when it returns, unless
    the caller holds a transaction open."""
    content = content.strip()
    _check_attachment_ids(attachment_ids)
    if len(content) > MESSAGE_MAX_CHARS or not (content or attachment_ids):
        raise InvalidInput(f"Content must be 1-{MESSAGE_MAX_CHARS} characters.")
    message = message_draft(
        request_id=request_id, sender=sender, content=content, client_id=client_id
    )
    try:
        stored = tried_alone = _store_alone(message, with_attachments=bool(attachment_ids))
        if not stored:
            with transaction.atomic():
                stored = _insert_with_next_seq(message)
                if stored:
                    # Refused (InvalidInput) unless every one can be claimed: the message, and
                    # its seq, roll back with them.
                    message.set_stored_attachments(
                        attachments_claim(message=message, attachment_ids=attachment_ids)
                        if attachment_ids
                        else []
                    )
                    publish(MessageStored(message=message))
                    MESSAGES_STORED.inc()
                    if tried_alone is False:
                        # Stored here, not alone: some handler has work now.
                        _pause_store_alone()
    except IntegrityError:
        # A send with the same client_id was stored first (a retry, or a concurrent duplicate):
        # everything above rolled back, seq included, so no gap is left.
        existing = client_id is not None and _find_by_client_id(request_id, sender, client_id)
        if not existing:
            raise
        return existing, False
    if stored:
        return message, True
    # Nothing stored: a retry of a message sent before the request closed still gets its
    # original; anything else is told why, in the same words as everywhere else.
    existing = client_id is not None and _find_by_client_id(request_id, sender, client_id)
    if existing:
        return existing, False
    if not User.objects.filter(pk=sender.pk, is_active=True).exists():
        raise NotAllowed("This account has been deactivated.")
    request_for_participant(request_id=request_id, user=sender)
    raise NotActive("The request is not active.")


def message_draft(
    *, request_id: UUID | str, sender: User, content: str, client_id: str | None
) -> Message:
    """The message to store (content already checked), sent now."""
    return Message(
        request_id=request_id,
        sender=sender,
        content=content,
        client_id=client_id,
        created_at=timezone.now(),
    )


def _store_alone(message: Message, *, with_attachments: bool) -> bool | None:
    """The common case in one autocommitted statement, with no BEGIN and COMMIT: on PostgreSQL,
    outside any transaction, for a message with no attachments to claim, while no handler of
    MessageStored has anything to write in the transaction (no webhook endpoint wants messages,
    email is off). The statement itself checks that last part (core.events.idle_conditions),
    so an endpoint added a moment ago is never missed. False when it stored nothing (the caller
    then takes the transaction, which also finds out why), None when it did not try."""
    if with_attachments or connection.in_atomic_block:
        return None
    statement = store_alone_statement(message)
    if statement is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        row = cursor.fetchone()
    if row is None:
        return False
    message_stored_alone(message, row=row)
    return True


def store_alone_statement(message: Message) -> tuple[str, list[Any]] | None:
    """The one statement that stores `message` (no attachments) with its seq, if it can be
    stored that way now (see `_store_alone`): for a caller with a connection of its own
    (chat.async_store). It returns the message's (id, seq), or no row when it stored nothing;
    then the message goes through `message_store`. Builds no query, reads nothing."""
    if connection.vendor != "postgresql" or time.monotonic() < _store_alone_paused_until:
        return None
    conditions = idle_conditions(MessageStored)
    if conditions is None:
        return None
    return _store_sql_postgres(tuple(sql for sql, _ in conditions)), _store_params(
        message, [param for _, params in conditions for param in params]
    )


def message_stored_alone(message: Message, *, row: tuple[Any, Any]) -> None:
    """What follows a store by `store_alone_statement` that returned `row`."""
    message.pk, message.seq = row
    message.set_stored_attachments([])
    publish(MessageStored(message=message), handlers_idle=True)
    MESSAGES_STORED.inc()


def _pause_store_alone() -> None:
    global _store_alone_paused_until  # noqa: PLW0603 - a per-process hint, not shared state
    _store_alone_paused_until = time.monotonic() + _STORE_ALONE_PAUSE_SECONDS


def _check_attachment_ids(attachment_ids: Sequence[UUID]) -> None:
    if len(attachment_ids) > MESSAGE_ATTACHMENTS_MAX:
        raise InvalidInput(
            fields={"attachment_ids": [f"At most {MESSAGE_ATTACHMENTS_MAX} attachments."]}
        )
    if len(set(attachment_ids)) != len(attachment_ids):
        raise InvalidInput(fields={"attachment_ids": ["An attachment may be listed only once."]})


def _insert_with_next_seq(message: Message) -> bool:
    """Give the message the request's next seq and insert it; False if the request is not
    ACTIVE, or the sender does not take part or was deactivated. In a transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_store_sql_postgres(), _store_params(message, []))
            row = cursor.fetchone()
            if row is None:
                return False
            message.pk, message.seq = row
            return True
        params = _next_seq_params(
            sender=_db_uuid(message.sender_id),
            request=_db_uuid(message.request_id),
            sent_at=connection.ops.adapt_datetimefield_value(message.created_at),
        )
        cursor.execute(f"{_NEXT_SEQ_SQL} RETURNING last_seq", params)
        row = cursor.fetchone()
    if row is None:
        return False
    message.seq = row[0]
    message.save(force_insert=True)
    return True


def _next_seq_params(*, sender: Any, request: Any, sent_at: Any) -> list[Any]:
    """The parameters of `_NEXT_SEQ_SQL`, from values as the database takes them."""
    return [
        sender,
        sender,
        sender,
        sent_at,
        sender,
        sender,
        request,
        RequestStatus.ACTIVE.value,
        sender,
        sender,
        sender,
    ]


def _store_params(message: Message, condition_params: list[Any]) -> list[Any]:
    """The parameters of `_store_sql_postgres`, with those of its conditions. Built without the
    ORM's value conversions (on every message, they cost more than the rest of the
    preparation): PostgreSQL takes UUIDs and aware datetimes as they are."""
    sender = _as_uuid(message.sender_id)
    request = _as_uuid(message.request_id)
    sent_at = message.created_at
    return [
        *_next_seq_params(sender=sender, request=request, sent_at=sent_at),
        *condition_params,
        request,
        sender,
        message.content,
        message.client_id,
        sent_at,
    ]


def _as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _find_by_client_id(request_id: UUID | str, sender: User, client_id: str) -> Message | None:
    return (
        Message.objects.select_related("sender")
        .prefetch_related("attachments")
        .filter(request_id=UUID(str(request_id)), sender=sender, client_id=client_id)
        .first()
    )


def _db_uuid(value: UUID | str):
    """A UUID as the backend stores it (PostgreSQL's uuid type, SQLite's 32-char hex)."""
    return SupportRequest._meta.pk.get_db_prep_value(UUID(str(value)), connection)


@dataclass(frozen=True)
class ReadPosition:
    seq: int  # as stored now
    moved: bool  # whether this call moved it
    frame: ReadFrame  # what the room is told when it moved


def message_read(*, request_id: UUID | str, user: User, seq: int) -> ReadPosition:
    """Mark the request read by `user` up to `seq` and, when the position moved, tell the room
    (`read`) once this commits. See `read_position_move`."""
    position = read_position_move(request_id=request_id, user=user, seq=seq)
    if position.moved:
        event = read_event(position.frame, sender_channel="")
        after_commit(broadcast, [request_group(request_id)], event)
    return position


def read_position_move(*, request_id: UUID | str, user: User, seq: int) -> ReadPosition:
    """`message_read` without the broadcast, for a caller that broadcasts itself (the WebSocket
    consumer, from its event loop). The stored position becomes max(old, min(seq, last_seq)).
    Participants only (staff who may see the request get NotAllowed, anyone else NotFound)."""
    if seq < 0:
        raise InvalidInput("seq must be a non-negative integer.", fields={"seq": ["Must be >= 0."]})
    with transaction.atomic():
        request = request_for_participant(request_id=request_id, user=user)
        role = "requester" if request.requester_id == user.pk else "expert"
        field = f"{role}_read_seq"
        # Clamped first so that any seq a client may send fits the column's type.
        target = Least(Value(min(seq, _SEQ_MAX)), F("last_seq"))
        # Conditional on the stored value, so concurrent reads (two tabs) only move it forward,
        # and on the user still taking part (a transfer may have just replaced the expert).
        rows = SupportRequest.objects.filter(pk=request.pk, **{role: user})
        moved = rows.filter(**{f"{field}__lt": target}).update(**{field: target}) == 1
        stored: int | None = rows.values_list(field, flat=True).first()
        if stored is None:
            raise NotAllowed("Only the requester and the assigned expert take part in this chat.")
    frame = read_frame(request_id=str(request.pk), user_id=str(user.pk), seq=stored)
    return ReadPosition(seq=stored, moved=moved, frame=frame)
