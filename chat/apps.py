from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # accounts and support announce changes without knowing who listens: sockets do.
        from accounts.events import UserDeactivated
        from chat.notifications import (
            close_sockets_of_deactivated_user,
            notify_request_changed,
            tell_sockets_of_queue_seat,
        )
        from core.events import subscribe
        from support.events import ExpertQueueChanged, RequestChanged

        subscribe(RequestChanged, notify_request_changed)
        subscribe(ExpertQueueChanged, tell_sockets_of_queue_seat)
        subscribe(UserDeactivated, close_sockets_of_deactivated_user)

        from chat.timeouts import check_interval, timeouts_backlog, timeouts_job, timeouts_pending
        from core import worker

        worker.register(
            "timeouts",
            timeouts_job,
            every=check_interval(),
            backlog=timeouts_backlog,
            pending=timeouts_pending,
        )

        from chat.attachments.services import attachments_delete_stale

        # Uploads no message claimed within a day: looked for hourly (and at start-up).
        worker.register("attachment_cleanup", attachments_delete_stale, every=3600)
