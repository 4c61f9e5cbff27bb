from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from chat.timeouts import requests_time_out


class Command(BaseCommand):
    help = (
        "Apply FIRST_RESPONSE_TIMEOUT and INACTIVITY_CLOSE_AFTER once to the requests due now. "
        "The worker does this on its own every few seconds; this is for running it by "
        "hand or from a scheduler. Safe to run alongside it."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.FIRST_RESPONSE_TIMEOUT or settings.INACTIVITY_CLOSE_AFTER):
            self.stdout.write("Both timeouts are off (0); nothing to do.")
            return
        timed_out = requests_time_out()
        self.stdout.write(
            f"{len(timed_out.requeued)} request(s) back in the queue (no first response), "
            f"{len(timed_out.closed)} closed (inactive)."
        )
