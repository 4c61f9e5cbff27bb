"""Writes for accounts: accounts, sign-in, tokens and skills.

Rule violations raise core.errors exceptions; field errors name their field, so the REST API
answers 400 in DRF's field-error shape and the management commands print the same messages.
"""

from collections.abc import Iterable
from uuid import UUID

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.events import UserDeactivated
from accounts.models import SKILL_NAME_MAX_CHARS, Role, Skill, User
from accounts.selectors import user_active_get
from core.errors import AuthenticationFailed, InvalidInput, InvalidToken, NotAllowed
from core.events import publish

DUPLICATE_EMAIL = "A user with this email already exists."


def email_normalize(email: str) -> str:
    return email.strip().lower()


def tokens_for(*, user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def user_create(
    *, email: str, password: str, name: str, role: Role, validate_password: bool = True
) -> User:
    """A new account. The password is checked against the validators unless told otherwise
    (staff creating an account with a password of their choosing)."""
    user = User(email=email_normalize(email), name=name.strip(), role=role)
    errors: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=user.email).exists():
        errors["email"] = [DUPLICATE_EMAIL]
    if validate_password:
        try:
            # With the unsaved user, so the similarity check compares against email and name.
            password_validation.validate_password(password, user=user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput(fields=errors)
    user.set_password(password)
    # The savepoint keeps the outer transaction usable when a concurrent sign-up with the same
    # email wins the unique constraint between our check and this insert.
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise InvalidInput(fields={"email": [DUPLICATE_EMAIL]}) from exc
    return user


def user_register(*, email: str, password: str, name: str) -> User:
    """Public sign-up: always role USER, whatever the caller asked for."""
    return user_create(email=email, password=password, name=name, role=Role.USER)


def user_login(*, email: str, password: str, client_address: str | None = None) -> User:
    """Check credentials under the failure limits per email and per client address
    (accounts.backends raises Throttled past them). The backend refuses inactive users, so they
    get the same answer as a wrong password."""
    user = authenticate(
        email=email_normalize(email), password=password, client_address=client_address
    )
    if not isinstance(user, User):
        raise AuthenticationFailed("Invalid email or password.")
    return user


@transaction.atomic
def users_deactivate(*, user_ids: Iterable[UUID]) -> int:
    """Turn accounts off. Their tokens stop working at once (REST answers 401, handshakes 403),
    and their open sockets are closed with 4003 on every process once this commits. Returns
    how many were active."""
    ids = list(
        User.objects.filter(pk__in=list(user_ids), is_active=True).values_list("pk", flat=True)
    )
    User.objects.filter(pk__in=ids).update(is_active=False)
    for user_id in ids:
        publish(UserDeactivated(user_id=user_id))
    return len(ids)


@transaction.atomic
def user_rename(*, user: User, name: str) -> User:
    user.name = name.strip()
    user.save(update_fields=["name"])
    return user


@transaction.atomic
def user_email_notifications_set(*, user: User, enabled: bool) -> User:
    """Whether the user is emailed about messages that wait while they are offline."""
    user.email_notifications = enabled
    user.save(update_fields=["email_notifications"])
    return user


def _refresh_token(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc


@transaction.atomic
def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: the old one is blacklisted, a new pair is issued."""
    token = _refresh_token(refresh)
    jti = token[jwt_settings.JTI_CLAIM]
    # Two requests with the same token must not both get a new pair: lock its row and check
    # the blacklist again once we hold the lock.
    list(OutstandingToken.objects.select_for_update().filter(jti=jti).values_list("pk"))
    try:
        token.check_blacklist()
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
    user = user_active_get(user_id=token.get(jwt_settings.USER_ID_CLAIM))
    if user is None:
        raise AuthenticationFailed("No active account found for this token.")
    token.blacklist()
    return tokens_for(user=user)


@transaction.atomic
def token_revoke(*, refresh: str, user: User) -> None:
    """Sign out: blacklist one of the caller's refresh tokens."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidInput(fields={"refresh": [str(exc)]}) from exc
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise NotAllowed("This refresh token belongs to another user.")
    token.blacklist()


def _skill_name_clean(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > SKILL_NAME_MAX_CHARS:
        raise InvalidInput(
            fields={"skills": [f"Skill names are 1 to {SKILL_NAME_MAX_CHARS} characters."]}
        )
    return cleaned


def skills_by_name(*, names: Iterable[str]) -> list[Skill]:
    """Existing skills by name, any casing; an unknown name is an error."""
    wanted = {_skill_name_clean(name).lower(): name.strip() for name in names}
    matches = Skill.objects.annotate(lowered=Lower("name")).filter(lowered__in=wanted)
    found = {skill.lowered: skill for skill in matches}
    unknown = [original for lowered, original in wanted.items() if lowered not in found]
    if unknown:
        raise InvalidInput(fields={"skills": [f"Unknown skill: {name}" for name in unknown]})
    return list(found.values())


def skills_get_or_create(*, names: Iterable[str]) -> list[Skill]:
    """Skills by name, any casing; unknown names are created as given."""
    skills = []
    for name in dict.fromkeys(_skill_name_clean(name) for name in names):
        skill = Skill.objects.filter(name__iexact=name).first()
        if skill is None:
            try:
                with transaction.atomic():
                    skill = Skill.objects.create(name=name)
            except IntegrityError:
                # Created by someone else just now, perhaps with other casing.
                skill = Skill.objects.get(name__iexact=name)
        skills.append(skill)
    return list({skill.pk: skill for skill in skills}.values())
