"""DRF permission classes for the roles, decided by the User model's role predicates (the same
ones services and selectors use), so a view refuses a wrong role with 403 before its body is
even parsed, and for exactly the users the service would refuse."""

from typing import Any, cast

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import User


def _user(request: Request) -> User | None:
    user = request.user
    return user if user is not None and user.is_authenticated else None


def signed_in_user(request: Request) -> User:
    """The caller of a view that requires authentication (the default permission class)."""
    return cast(User, request.user)


class IsStaff(BasePermission):
    """Staff: `is_staff` or role ADMIN."""

    message = "Only staff may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = _user(request)
        return user is not None and user.is_admin


class IsExpert(BasePermission):
    message = "Only experts may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = _user(request)
        return user is not None and user.is_expert


class IsCustomer(BasePermission):
    """Customers: role USER (and not staff)."""

    message = "Only customers may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = _user(request)
        return user is not None and user.is_customer
