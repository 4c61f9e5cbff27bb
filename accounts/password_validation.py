"""Password rules of our own, beside Django's (settings.AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User


class WhitespacePasswordValidator:
    """Refuse a password that is blank or mostly whitespace. Django's validators count every
    character, so eight spaces pass its minimum length and are in no list of common passwords,
    yet anyone can guess them. Spaces between words are fine: at most half of a password's
    characters may be whitespace (spaces, tabs, line breaks, or any other Unicode space)."""

    def validate(self, password: str, user: User | None = None) -> None:
        whitespace = sum(character.isspace() for character in password)
        if not password.strip() or whitespace * 2 > len(password):
            raise ValidationError(
                _(
                    "This password is blank or mostly whitespace: at most half of its "
                    "characters may be whitespace."
                ),
                code="password_mostly_whitespace",
            )

    def get_help_text(self) -> str:
        return _(
            "Your password cannot be blank or mostly whitespace: at most half of its characters "
            "may be whitespace."
        )
