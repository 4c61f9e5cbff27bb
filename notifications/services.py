"""Scheduling offline emails: every chat message tells its recipient's OfflineNotice row that
it is there, in the message's own transaction. The worker (notifications.sending) then decides,
once NOTIFY_OFFLINE_AFTER has passed, whether an email goes out.

Written in the transaction rather than after it, so that no committed message can go without
a look, whatever happens to the process after the commit; and as one statement, since it runs
on every message.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection

from chat.events import MessageStored
from chat.models import Message
from core.leases import JobStatus
from notifications.models import OfflineNotice
from support.models import SupportRequest

_NOTICES = OfflineNotice._meta.db_table
_REQUESTS = SupportRequest._meta.db_table

# The recipient is whichever participant did not send the message (a message is only ever
# stored in an ACTIVE request, which has an expert). A new pair gets a row due when the message
# is NOTIFY_OFFLINE_AFTER old. A row that rests (DONE, FAILED) starts a new streak the same
# way; one already PENDING keeps its time and its tries. Either way `last_message_seq` moves
# up, which is what tells a worker deciding at this moment that something new arrived.
# The row lock this takes is held until the message commits: a worker's conditional UPDATE
# of the row waits for it, and then sees the new `last_message_seq`.
_SCHEDULE_SQL = (
    f"INSERT INTO {_NOTICES} (request_id, user_id, status, attempts, run_after, last_error, "
    "last_message_seq, notified_seq, emails_sent, created_at) "
    "SELECT id, CASE WHEN requester_id = %(sender)s THEN expert_id ELSE requester_id END, "
    "%(pending)s, 0, %(due)s, '', %(seq)s, 0, 0, %(now)s "
    f"FROM {_REQUESTS} WHERE id = %(request)s AND expert_id IS NOT NULL "
    "ON CONFLICT (request_id, user_id) DO UPDATE SET "
    f"last_message_seq = CASE WHEN {_NOTICES}.last_message_seq < excluded.last_message_seq "
    f"THEN excluded.last_message_seq ELSE {_NOTICES}.last_message_seq END, "
    f"run_after = CASE WHEN {_NOTICES}.status = %(pending)s THEN {_NOTICES}.run_after "
    "ELSE excluded.run_after END, "
    f"attempts = CASE WHEN {_NOTICES}.status = %(pending)s THEN {_NOTICES}.attempts ELSE 0 END, "
    f"finished_at = CASE WHEN {_NOTICES}.status = %(pending)s THEN {_NOTICES}.finished_at "
    "ELSE NULL END, "
    "status = %(pending)s"
)


def offline_notice_schedule(*, message: Message) -> None:
    """Make sure the recipient of `message` has a look due (in the caller's transaction)."""
    if not settings.EMAIL_ENABLED:
        return
    prep = SupportRequest._meta.pk.get_db_prep_value
    with connection.cursor() as cursor:
        cursor.execute(
            _SCHEDULE_SQL,
            {
                "sender": prep(message.sender_id, connection),
                "request": prep(message.request_id, connection),
                "pending": JobStatus.PENDING.value,
                "due": message.created_at + timedelta(seconds=settings.NOTIFY_OFFLINE_AFTER),
                "seq": message.seq,
                "now": message.created_at,
            },
        )


def offline_notice_idle() -> tuple[str, list[Any]] | None:
    """When scheduling writes nothing, as an SQL condition (core.events): while email is off."""
    return None if settings.EMAIL_ENABLED else ("TRUE", [])


def on_message_stored(event: MessageStored) -> None:
    offline_notice_schedule(message=event.message)
