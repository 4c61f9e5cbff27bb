"""Writing chat messages. The REST API and the WebSocket consumer both post through here."""

import contextlib
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from chat.groups import broadcast, message_event, request_group
from chat.models import MESSAGE_MAX_CHARS, Message
from chat.selectors import request_for_participant
from chat.serializers import message_data
from core.errors import InvalidInput, NotActive, NotAllowed
from support.models import RequestStatus, SupportRequest

_REQUESTS = SupportRequest._meta.db_table
_MESSAGES = Message._meta.db_table
_USERS = User._meta.db_table

# Takes the request's next seq, checking on the way that it is ACTIVE and that the sender takes
# part and is still an active account (a socket of a user staff just deactivated may get one
# more frame in before it is closed). The row lock this UPDATE holds until commit serialises
# seq assignment per request, so seqs have no gaps or repeats.
_NEXT_SEQ_SQL = (
    f"UPDATE {_REQUESTS} SET last_seq = last_seq + 1 "
    "WHERE id = %s AND status = %s AND (requester_id = %s OR expert_id = %s) "
    f"AND EXISTS (SELECT 1 FROM {_USERS} WHERE id = %s AND is_active) "
    "RETURNING last_seq"
)
# On PostgreSQL the seq and the insert are one statement: one round trip, and atomic on its own
# (a failed insert, such as a repeated client_id, undoes the seq bump with it).
_STORE_SQL_POSTGRES = (
    f"WITH next AS ({_NEXT_SEQ_SQL}) "
    f"INSERT INTO {_MESSAGES} (request_id, sender_id, seq, content, client_id, created_at) "
    "SELECT %s, %s, last_seq, %s, %s, %s FROM next RETURNING id, seq"
)


def message_post(
    *, request_id: UUID | str, sender: User, content: str, client_id: str | None = None
) -> tuple[Message, bool]:
    """Store a message and broadcast it to the request's room after commit.

    Returns (message, created). With a `client_id` already used by this sender in this request,
    nothing is stored or broadcast and the original message is returned with created=False.
    """
    message, created = message_store(
        request_id=request_id, sender=sender, content=content, client_id=client_id
    )
    if created:
        event = message_event(message_data(message))
        transaction.on_commit(lambda: broadcast([request_group(request_id)], event))
    return message, created


def message_store(
    *, request_id: UUID | str, sender: User, content: str, client_id: str | None = None
) -> tuple[Message, bool]:
    """`message_post` without the broadcast, for a caller that broadcasts itself once this has
    returned (the WebSocket consumer, from its event loop). Committed when it returns, unless
    the caller holds a transaction open."""
    content = content.strip()
    if not content or len(content) > MESSAGE_MAX_CHARS:
        raise InvalidInput(f"Content must be 1-{MESSAGE_MAX_CHARS} characters.")
    message = Message(
        request_id=request_id,
        sender=sender,
        content=content,
        client_id=client_id,
        created_at=timezone.now(),
    )
    try:
        with _one_transaction():
            stored = _insert_with_next_seq(message)
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


def _one_transaction():
    """On PostgreSQL, outside any transaction, the store is one statement and so already atomic:
    wrapping it in BEGIN/COMMIT would only add two round trips to the hottest path."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return contextlib.nullcontext()
    return transaction.atomic()


def _insert_with_next_seq(message: Message) -> bool:
    """Give the message the request's next seq and insert it; False if the request is not
    ACTIVE, or the sender does not take part or was deactivated. Runs in `_one_transaction()`."""
    seq_params = [
        _db_uuid(message.request_id),
        RequestStatus.ACTIVE.value,
        *[_db_uuid(message.sender_id)] * 3,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _STORE_SQL_POSTGRES,
                [
                    *seq_params,
                    _db_uuid(message.request_id),
                    _db_uuid(message.sender_id),
                    message.content,
                    message.client_id,
                    message.created_at,
                ],
            )
            row = cursor.fetchone()
            if row is None:
                return False
            message.pk, message.seq = row
            return True
        cursor.execute(_NEXT_SEQ_SQL, seq_params)
        row = cursor.fetchone()
    if row is None:
        return False
    message.seq = row[0]
    message.save(force_insert=True)
    return True


def _find_by_client_id(request_id: UUID | str, sender: User, client_id: str) -> Message | None:
    return (
        Message.objects.select_related("sender")
        .filter(request_id=UUID(str(request_id)), sender=sender, client_id=client_id)
        .first()
    )


def _db_uuid(value: UUID | str):
    """A UUID as the backend stores it (PostgreSQL's uuid type, SQLite's 32-char hex)."""
    return SupportRequest._meta.pk.get_db_prep_value(UUID(str(value)), connection)
