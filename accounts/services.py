"""Writes for accounts: registration, sign-in, tokens, profiles and experts.

Rule violations raise Django's ValidationError keyed by field, so the REST views answer 400 with
DRF's field-error shape and the management commands print the same messages.
"""

from collections.abc import Iterable

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import ExpertProfile, Role, Skill, User
from accounts.throttling import login_attempt_reserve, login_attempts_clear
from config.exceptions import NotAllowed
from support.matching import expert_became_eligible

MAX_ACTIVE_REQUESTS_LIMIT = 50
DUPLICATE_EMAIL = "A user with this email already exists."


def email_normalize(email: str) -> str:
    return email.strip().lower()


def tokens_for(*, user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _validate_new_account(*, user: User, password: str) -> None:
    errors: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=user.email).exists():
        errors["email"] = [DUPLICATE_EMAIL]
    try:
        # With the unsaved user, so the similarity check compares against email and name.
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)


def _save_new_user(user: User) -> None:
    # The savepoint keeps the outer transaction usable when a concurrent sign-up with the same
    # email wins the unique constraint between our check and this insert.
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError({"email": [DUPLICATE_EMAIL]}) from exc


@transaction.atomic
def user_register(*, email: str, password: str, name: str) -> User:
    """Public sign-up: always role USER, whatever the caller asked for."""
    user = User(email=email_normalize(email), name=name.strip(), role=Role.USER)
    _validate_new_account(user=user, password=password)
    user.set_password(password)
    _save_new_user(user)
    return user


def user_login(*, email: str, password: str) -> User:
    """Check credentials under the per-email failure limit (see accounts.throttling)."""
    email = email_normalize(email)
    retry_after = login_attempt_reserve(email=email)
    if retry_after is not None:
        raise Throttled(wait=retry_after, detail="Too many failed logins for this email.")
    # The model backend refuses inactive users, so they get the same answer as a wrong password.
    user = authenticate(email=email, password=password)
    if user is None:
        raise AuthenticationFailed("Invalid email or password.", code="invalid_credentials")
    login_attempts_clear(email=email)
    return user


def _refresh_token(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
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
    user_id = token.get(jwt_settings.USER_ID_CLAIM)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise AuthenticationFailed("No active account found for this token.", code="no_account")
    token.blacklist()
    return tokens_for(user=user)


@transaction.atomic
def token_revoke(*, refresh: str, user: User) -> None:
    """Sign out: blacklist one of the caller's refresh tokens."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise ValidationError({"refresh": [str(exc)]}) from exc
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise NotAllowed("This refresh token belongs to another user.")
    token.blacklist()


def _skill_name_clean(name: str) -> str:
    cleaned = name.strip()
    max_length = Skill._meta.get_field("name").max_length
    if not cleaned or len(cleaned) > max_length:
        raise ValidationError({"skills": [f"Skill names are 1 to {max_length} characters."]})
    return cleaned


def skills_by_name(*, names: Iterable[str]) -> list[Skill]:
    """Existing skills by name, any casing; an unknown name is an error."""
    wanted = {_skill_name_clean(name).lower(): name.strip() for name in names}
    matches = Skill.objects.annotate(lowered=Lower("name")).filter(lowered__in=wanted)
    found = {skill.lowered: skill for skill in matches}
    unknown = [original for lowered, original in wanted.items() if lowered not in found]
    if unknown:
        raise ValidationError({"skills": [f"Unknown skill: {name}" for name in unknown]})
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


@transaction.atomic
def expert_create(
    *,
    email: str,
    password: str,
    name: str,
    bio: str = "",
    skills: Iterable[str] = (),
    max_active_requests: int = 1,
    validate_password: bool = True,
) -> User:
    """Create an expert account with its profile; unknown skill names are created."""
    if not 1 <= max_active_requests <= MAX_ACTIVE_REQUESTS_LIMIT:
        raise ValidationError(
            {"max_active_requests": [f"Must be between 1 and {MAX_ACTIVE_REQUESTS_LIMIT}."]}
        )
    user = User(email=email_normalize(email), name=name.strip(), role=Role.EXPERT)
    if validate_password:
        _validate_new_account(user=user, password=password)
    elif User.objects.filter(email__iexact=user.email).exists():
        raise ValidationError({"email": [DUPLICATE_EMAIL]})
    user.set_password(password)
    _save_new_user(user)
    profile = ExpertProfile.objects.create(
        user=user, bio=bio, max_active_requests=max_active_requests
    )
    profile.skills.set(skills_get_or_create(names=skills))
    return user


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    name: str | None = None,
    bio: str | None = None,
    skills: Iterable[str] | None = None,
    is_available: bool | None = None,
) -> User:
    """Users edit their name; experts also their bio, skills and availability."""
    expert_changes = {"bio": bio, "skills": skills, "is_available": is_available}
    sent = [field for field, value in expert_changes.items() if value is not None]
    if sent and user.role != Role.EXPERT:
        raise ValidationError({field: ["Only experts have this field."] for field in sent})
    if name is not None:
        user.name = name.strip()
        user.save(update_fields=["name"])
    if sent:
        _expert_profile_update(user=user, bio=bio, skills=skills, is_available=is_available)
    return user


def _expert_profile_update(
    *, user: User, bio: str | None, skills: Iterable[str] | None, is_available: bool | None
) -> None:
    # Locked so the availability we compare against is the stored one, not a stale copy.
    profile, _ = ExpertProfile.objects.select_for_update().get_or_create(user=user)
    was_available = profile.is_available
    if bio is not None:
        profile.bio = bio
    if is_available is not None:
        profile.is_available = is_available
    profile.save(update_fields=["bio", "is_available"])
    skills_changed = False
    if skills is not None:
        new_skills = skills_by_name(names=skills)
        old_ids = set(profile.skills.values_list("pk", flat=True))
        skills_changed = old_ids != {skill.pk for skill in new_skills}
        profile.skills.set(new_skills)
    if profile.is_available and (not was_available or skills_changed):
        # Waiting requests this expert can now take are handed over once this is committed.
        # robust: a matching failure is logged and must not turn the saved edit into an error.
        transaction.on_commit(lambda: expert_became_eligible(expert_id=user.pk), robust=True)
