from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The browser console at /console/: one HTML page and its scripts, a client of the public
    REST and WebSocket API like any other. It imports no other app (pyproject.toml's
    import-linter contracts hold it to that)."""

    name = "console"
