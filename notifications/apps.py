from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Offline emails: a participant who is away hears of the messages waiting for them."""

    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chat.events import MessageStored
        from core import worker
        from core.events import subscribe
        from notifications.sending import (
            offline_emails_backlog,
            offline_emails_pending,
            offline_emails_send,
        )
        from notifications.services import offline_notice_idle, on_message_stored

        # In the message's transaction: a committed message always has its look scheduled.
        # Both do nothing while email is off (EMAIL_URL unset, DEBUG off).
        subscribe(
            MessageStored, on_message_stored, in_transaction=True, idle_when=offline_notice_idle
        )
        worker.register(
            "offline_emails",
            offline_emails_send,
            every=1.0,
            backlog=offline_emails_backlog,
            pending=offline_emails_pending,
        )
