"""Reads of attachments."""

from uuid import UUID

from accounts.models import User
from chat.models import Attachment
from core.errors import NotFound


def attachment_get_downloadable(*, attachment_id: UUID | str, user: User) -> Attachment:
    """The attachment if `user` takes part in its request or is staff; otherwise NotFound, so
    nobody learns that an attachment they may not see exists."""
    attachment = Attachment.objects.select_related("request").filter(pk=attachment_id).first()
    if attachment is None or not (user.is_admin or attachment.request.is_participant(user)):
        raise NotFound("No such attachment.")
    return attachment
