from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from core.errors import DomainError
from support.management.commands.create_expert import skill_list
from support.services import expert_create

DEFAULT_EMAIL = "expert@marketplace.com"
DEFAULT_PASSWORD = "ExpertPassword123"
DEFAULT_NAME = "Marketplace Expert"
DEFAULT_SKILLS = "general,billing,technical"


class Command(BaseCommand):
    help = (
        "Create the demo expert if it does not exist yet. The default password is only "
        "accepted when DEBUG is on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default=DEFAULT_EMAIL)
        parser.add_argument("--password", default=None)
        parser.add_argument("--name", default=DEFAULT_NAME)
        parser.add_argument("--skills", type=skill_list, default=skill_list(DEFAULT_SKILLS))

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            self.stdout.write(f"Expert {email} already exists; nothing to do.")
            return
        password = options["password"]
        if password is None:
            if not settings.DEBUG:
                raise CommandError(
                    "Refusing the well-known default password with DEBUG off; "
                    "pass --password explicitly."
                )
            password = DEFAULT_PASSWORD
        try:
            expert = expert_create(
                email=email,
                password=password,
                name=options["name"],
                skills=options["skills"],
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(self.style.SUCCESS(f"Created expert {expert.email} ({expert.pk})."))
