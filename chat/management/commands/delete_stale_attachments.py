from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chat.attachments.services import STALE_AFTER, attachments_delete_stale


class Command(BaseCommand):
    help = (
        "Delete uploads that no message carries and that are older than --hours (24 by "
        "default): their rows, then their files. Safe to run from cron on several hosts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=float,
            default=STALE_AFTER.total_seconds() / 3600,
            help="Age in hours past which an unattached upload is deleted (default 24).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = attachments_delete_stale(older_than=timedelta(hours=options["hours"]))
        self.stdout.write(f"Deleted {deleted} unattached upload(s).")
