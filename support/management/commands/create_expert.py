from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from support.models import MAX_ACTIVE_REQUESTS_LIMIT
from support.services import expert_create


def skill_list(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


class Command(BaseCommand):
    help = "Create an expert account (unknown skills are created)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--bio", default="")
        parser.add_argument("--skills", type=skill_list, default=[], help="comma-separated")
        parser.add_argument(
            "--max-active",
            type=int,
            default=1,
            help=f"most ACTIVE requests at once (1..{MAX_ACTIVE_REQUESTS_LIMIT})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            expert = expert_create(
                email=options["email"],
                password=options["password"],
                name=options["name"],
                bio=options["bio"],
                skills=options["skills"],
                max_active_requests=options["max_active"],
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(self.style.SUCCESS(f"Created expert {expert.email} ({expert.pk})."))
