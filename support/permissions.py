"""Role predicates the request services decide by. (The views gate on the matching permission
classes in accounts.permissions, so a wrong role gets 403 before its body is even parsed.)
A staff account counts as staff only, whatever its stored role."""

from accounts.models import Role


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_admin)


def is_expert(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.EXPERT and not user.is_admin)


def is_regular_user(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.USER and not user.is_admin)
