from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import MAX_ACTIVE_REQUESTS_LIMIT, expert_create


def skill_list(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def validation_as_command_error(exc: ValidationError) -> CommandError:
    if hasattr(exc, "error_dict"):
        lines = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
    else:
        lines = exc.messages
    return CommandError("; ".join(lines))


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

    def handle(self, *args, **options) -> None:
        try:
            expert = expert_create(
                email=options["email"],
                password=options["password"],
                name=options["name"],
                bio=options["bio"],
                skills=options["skills"],
                max_active_requests=options["max_active"],
            )
        except ValidationError as exc:
            raise validation_as_command_error(exc) from exc
        self.stdout.write(self.style.SUCCESS(f"Created expert {expert.email} ({expert.pk})."))
