"""Role checks for the request APIs. The services enforce the same rules; these answer 403
before a body is even parsed, so a caller whose role may never do something learns that first."""

from rest_framework.permissions import BasePermission

from accounts.models import Role


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_admin)


def is_expert(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.EXPERT and not user.is_admin)


def is_regular_user(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.USER and not user.is_admin)


class IsStaff(BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request, view) -> bool:
        return is_staff(request.user)


class IsExpert(BasePermission):
    message = "Only experts may do this."

    def has_permission(self, request, view) -> bool:
        return is_expert(request.user)


class IsRegularUser(BasePermission):
    message = "Only customers may do this."

    def has_permission(self, request, view) -> bool:
        return is_regular_user(request.user)
