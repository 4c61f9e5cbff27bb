from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Webhooks: what happens in the product, told to the team's other tools."""

    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import worker
        from integrations import outbox
        from integrations.delivery import (
            THREADS,
            deliveries_backlog,
            deliveries_pending,
            deliveries_send,
        )

        outbox.subscribe_all()
        worker.register(
            "webhooks",
            deliveries_send,
            every=1.0,
            backlog=deliveries_backlog,
            pending=deliveries_pending,
            threads=THREADS,
        )
