"""Writing chat messages. The REST API and the WebSocket consumer both post through here."""

from uuid import UUID

from django.db import IntegrityError, connection, transaction

from accounts.models import User
from chat.groups import EVENT_MESSAGE, broadcast, request_group
from chat.models import Message
from chat.protocol import MAX_CONTENT_CHARS
from chat.selectors import request_for_participant
from chat.serializers import message_data
from config.exceptions import InvalidInput, NotActive
from support.models import RequestStatus, SupportRequest

# One statement both checks the request (ACTIVE, sender takes part) and takes the next seq. The
# row lock it holds until commit serialises seq assignment per request, so seqs have no gaps or
# duplicates; RETURNING works on PostgreSQL and on SQLite >= 3.35.
_NEXT_SEQ_SQL = (
    f"UPDATE {SupportRequest._meta.db_table} SET last_seq = last_seq + 1 "
    "WHERE id = %s AND status = %s AND (requester_id = %s OR expert_id = %s) "
    "RETURNING last_seq"
)


def message_post(
    *, request_id: UUID | str, sender: User, content: str, client_id: str | None = None
) -> tuple[Message, bool]:
    """Store a message and broadcast it to the request's room after commit.

    Returns (message, created). With a `client_id` already used by this sender in this request,
    nothing is stored or broadcast and the original message is returned with created=False.
    """
    content = content.strip()
    if not content or len(content) > MAX_CONTENT_CHARS:
        raise InvalidInput(f"Content must be 1-{MAX_CONTENT_CHARS} characters.")
    try:
        with transaction.atomic():
            if client_id is not None:
                existing = _find_by_client_id(request_id, sender, client_id)
                if existing is not None:
                    return existing, False
            seq = _next_seq(request_id, sender)
            message = Message.objects.create(
                request_id=request_id, sender=sender, seq=seq, content=content, client_id=client_id
            )
            event = {"type": EVENT_MESSAGE, "message": message_data(message)}
            transaction.on_commit(lambda: broadcast([request_group(request_id)], event))
    except IntegrityError:
        # A concurrent send with the same client_id won: everything above rolled back, seq
        # included, so no gap is left. Answer with the winner's message.
        existing = client_id is not None and _find_by_client_id(request_id, sender, client_id)
        if not existing:
            raise
        return existing, False
    return message, True


def _find_by_client_id(request_id: UUID | str, sender: User, client_id: str) -> Message | None:
    return (
        Message.objects.select_related("sender")
        .filter(request_id=request_id, sender=sender, client_id=client_id)
        .first()
    )


def _next_seq(request_id: UUID | str, sender: User) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            _NEXT_SEQ_SQL,
            [_db_uuid(request_id), RequestStatus.ACTIVE.value, *[_db_uuid(sender.pk)] * 2],
        )
        row = cursor.fetchone()
    if row is not None:
        return row[0]
    # Nothing updated: say why, in the same words as everywhere else.
    request_for_participant(request_id=request_id, user=sender)
    raise NotActive("The request is not active.")


def _db_uuid(value: UUID | str):
    """A UUID as the backend stores it (PostgreSQL's uuid type, SQLite's 32-char hex)."""
    return SupportRequest._meta.pk.get_db_prep_value(UUID(str(value)), connection)
