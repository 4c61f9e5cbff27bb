"""`python manage.py run_worker`: the worker alone, for deployments that keep it out of the
server processes (WORKER_IN_SERVER=false there). Any number may run at once."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from core.worker import Worker, registered


class Command(BaseCommand):
    help = "Run the background jobs (webhook deliveries, offline emails, timeouts, clean-ups)."

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        worker = Worker(registered())
        worker.start()
        self.stdout.write("Worker running; SIGTERM or Ctrl-C stops it.")
        stop.wait()
        self.stdout.write("Stopping: finishing the items in hand.")
        worker.stop()
