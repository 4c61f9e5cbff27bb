"""Storing a chat message from the event loop, without the hop to an ORM thread.

A message sent over a socket is, most of the time, one statement (chat.services
`store_alone_statement`). Run through the ORM it costs a thread hop each way and the ORM's
query building, which together cost the server process about as much CPU as everything else the
message needs. Here it runs on a connection of the event loop itself (chat.loop_db). Anything
else (attachments, a handler with something to write in the transaction, a statement that
stored nothing, a database that fails) returns None, and the caller takes `message_store` in an
ORM thread as before: what that path decides and reports is unchanged.
"""

from accounts.models import User
from chat.events import MessageStored
from chat.loop_db import loop_connections
from chat.models import MESSAGE_MAX_CHARS
from chat.protocol.server import MessageData
from chat.serializers import message_data
from chat.services import message_draft, message_stored_alone, store_alone_statement
from core.events import handled_after_commit


async def message_store_alone(
    *, request_id: str, sender: User, content: str, client_id: str | None
) -> MessageData | None:
    """Store a message without attachments in one statement; its data, or None when the caller
    must take chat.services.message_store instead (which then also says why it was not stored,
    or answers a repeated client_id with the original)."""
    content = content.strip()
    if not content or len(content) > MESSAGE_MAX_CHARS:
        return None  # refused, in the usual words, by message_store
    connections = loop_connections()
    if connections is None or handled_after_commit(MessageStored):
        return None  # (a handler after the commit would need the ORM, which this loop may not use)
    message = message_draft(
        request_id=request_id, sender=sender, content=content, client_id=client_id
    )
    statement = store_alone_statement(message)
    if statement is None:
        return None
    row = await connections.fetch_one(*statement)
    if row is None:
        return None
    message_stored_alone(message, row=row)
    return message_data(message)
