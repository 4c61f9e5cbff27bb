from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # support announces request changes without knowing who listens: sockets do.
        from chat.notifications import notify_request_changed
        from support.events import RequestChanged, subscribe

        subscribe(RequestChanged, notify_request_changed)
