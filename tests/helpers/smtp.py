"""A real SMTP server on a loopback port (aiosmtpd), for the offline-email tests: what it
received is what a mail server would have."""

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every email accepted; answers `refuse_with` (an SMTP reply
    such as "451 4.3.0 Try again later") instead of accepting while that is set."""

    received: list[EmailMessage] = field(default_factory=list)
    refuse_with: str | None = None
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse_with is not None:
                self.refused += 1
                return self.refuse_with
            parsed = message_from_bytes(envelope.content, policy=default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(parsed)
        return "250 Message accepted for delivery"

    def emails(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float) -> list[EmailMessage]:
        """The emails once at least `count` have arrived (or all there are after `timeout`)."""
        deadline = time.monotonic() + timeout
        while len(self.emails()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.emails()


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=port, mailbox=mailbox)
    finally:
        controller.stop()


def body_of(email: EmailMessage) -> str:
    part = email.get_body(preferencelist=("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")
