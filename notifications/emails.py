"""What an offline email says."""

from django.conf import settings
from django.core.mail import EmailMessage

from accounts.models import User
from chat.models import Message
from support.models import SupportRequest

# How much of the newest message the email quotes.
_QUOTE_LINES = 5
_QUOTE_CHARS = 500
_TITLE_CHARS = 100


def offline_email(
    *, request: SupportRequest, user: User, unread: int, newest: Message
) -> EmailMessage:
    noun = "message" if unread == 1 else "messages"
    # One line: a header may hold no line break (a title may, in principle, hold one).
    title = " ".join(request.title.split())
    if len(title) > _TITLE_CHARS:
        title = title[: _TITLE_CHARS - 1] + "…"
    subject = f"{unread} new {noun} in «{title}»"
    body = "\n".join(
        [
            f"Hello {user.name},",
            "",
            f"{unread} new {noun} in «{title}» arrived while you were away.",
            f"The latest, from {newest.sender.name}:",
            "",
            *(f"    {line}" for line in _first_lines(newest)),
            "",
            "Sign in to read the conversation and answer.",
            "",
            "--",
            "You get this email because you were away when these messages arrived (one email",
            "until you have read them). To turn these emails off, switch off email notifications",
            'in your account settings (PATCH /api/me/ with {"email_notifications": false}).',
        ]
    )
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        # RFC 3834: mail systems must not answer it (no out-of-office replies back to us).
        headers={"Auto-Submitted": "auto-generated"},
    )


def _first_lines(message: Message) -> list[str]:
    text = message.content.strip()
    if not text:
        return ["(no text)"]
    lines = text.splitlines()
    shown = "\n".join(lines[:_QUOTE_LINES])
    cut = len(lines) > _QUOTE_LINES or len(shown) > _QUOTE_CHARS
    shown_lines = shown[:_QUOTE_CHARS].splitlines()
    if cut:
        shown_lines[-1] += " …"
    return shown_lines
