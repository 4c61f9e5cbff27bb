import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

# Longest user name and skill name, in characters.
USER_NAME_MAX_CHARS = 150
SKILL_NAME_MAX_CHARS = 60


class Role(models.TextChoices):
    USER = "USER", "User"
    EXPERT = "EXPERT", "Expert"
    ADMIN = "ADMIN", "Admin"


# The role predicates of `User` (is_admin, is_expert, is_customer) as query conditions, each
# true for exactly the users whose predicate is, so a list and a check of one user can never
# disagree. `prefix` reaches the user through a relation, e.g. "user__" from an expert profile.
def staff_q(prefix: str = "") -> models.Q:
    return models.Q(**{f"{prefix}role": Role.ADMIN}) | models.Q(**{f"{prefix}is_staff": True})


def expert_q(prefix: str = "") -> models.Q:
    return models.Q(**{f"{prefix}role": Role.EXPERT, f"{prefix}is_staff": False})


def customer_q(prefix: str = "") -> models.Q:
    return models.Q(**{f"{prefix}role": Role.USER, f"{prefix}is_staff": False})


class UserQuerySet(models.QuerySet["User"]):
    def staff(self) -> "UserQuerySet":
        return self.filter(staff_q())

    def experts(self) -> "UserQuerySet":
        return self.filter(expert_q())

    def customers(self) -> "UserQuerySet":
        return self.filter(customer_q())


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("role", Role.USER)
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        fields.setdefault("name", email.split("@")[0])
        return self._create_user(email, password, **fields)

    def get_by_natural_key(self, username: str) -> "User":
        # Emails are stored lower-cased; accept any casing at login.
        return self.get(email=username.lower())


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=USER_NAME_MAX_CHARS)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.USER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Maintained by the real-time layer (see chat.presence).
    is_online = models.BooleanField(default=False)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Whether unread messages that wait while the user is offline are emailed (notifications).
    email_notifications = models.BooleanField(default=True, db_default=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [
            # Matching and the queue look for online experts among every account: a few
            # hundred rows, found without reading the other hundred thousand.
            models.Index(fields=["role"], condition=models.Q(is_online=True), name="user_online"),
            # The expert directory and its count: the experts alone.
            models.Index(
                fields=["name", "id"], condition=models.Q(role="EXPERT"), name="user_expert"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    # --- Role predicates: the one definition every permission, service and selector uses. ---
    # A staff account counts as ADMIN only, whatever its stored role (see UserQuerySet).

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_staff

    @property
    def is_expert(self) -> bool:
        return self.role == Role.EXPERT and not self.is_staff

    @property
    def is_customer(self) -> bool:
        return self.role == Role.USER and not self.is_staff

    @property
    def effective_role(self) -> str:
        """The role the API shows: ADMIN for every staff account."""
        return Role.ADMIN.value if self.is_admin else self.role


class Skill(models.Model):
    name = models.CharField(max_length=SKILL_NAME_MAX_CHARS, unique=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="skill_name_ci_unique")]

    def __str__(self) -> str:
        return self.name
