from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import worker
        from support.tallies import tallies_compact

        # The counters' rows summed once a minute (reading them compacts too).
        worker.register("tallies_compact", tallies_compact, every=60)
