"""Role checks shared by every app's views."""

from rest_framework.permissions import BasePermission

from accounts.models import Role


class IsStaff(BasePermission):
    """Staff: `is_staff` or role ADMIN."""

    message = "Only staff may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_admin)


class IsExpert(BasePermission):
    message = "Only experts may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.EXPERT)


class IsRegularUser(BasePermission):
    """Customers: role USER."""

    message = "Only customers may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.USER)
