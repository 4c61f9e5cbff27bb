from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Role
from accounts.permissions import IsCustomer, IsExpert, IsStaff
from tests.factories import AdminFactory, ExpertFactory, UserFactory

pytestmark = pytest.mark.django_db


def _allows(permission, user) -> bool:
    return permission().has_permission(SimpleNamespace(user=user), view=None)


def test_each_role_permission_admits_exactly_its_role():
    customer, expert, admin = UserFactory.create(), ExpertFactory.create(), AdminFactory.create()
    staff_flag_only = UserFactory.create(is_staff=True)
    admin_role_only = UserFactory.create(role=Role.ADMIN)

    assert [_allows(IsStaff, u) for u in (customer, expert, admin)] == [False, False, True]
    assert _allows(IsStaff, staff_flag_only)
    assert _allows(IsStaff, admin_role_only)
    assert [_allows(IsExpert, u) for u in (customer, expert, admin)] == [False, True, False]
    assert [_allows(IsCustomer, u) for u in (customer, expert, admin)] == [True, False, False]


@pytest.mark.parametrize("permission", [IsStaff, IsExpert, IsCustomer])
def test_anonymous_callers_are_never_admitted(permission):
    assert not _allows(permission, AnonymousUser())
