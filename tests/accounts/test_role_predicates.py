"""One definition of each role: the User predicates, the query filters and the permission
classes agree, and a staff account counts as staff only, whatever its stored role."""

from types import SimpleNamespace

import pytest

from accounts.models import Role, User
from accounts.permissions import IsCustomer, IsExpert, IsStaff
from support.selectors import experts_visible
from tests.factories import AdminFactory, ExpertFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> dict[str, User]:
    return {
        "customer": UserFactory.create(),
        "expert": ExpertFactory.create(),
        "admin": AdminFactory.create(),
        "staff with role EXPERT": ExpertFactory.create(is_staff=True),
        "staff with role USER": UserFactory.create(is_staff=True),
        "role ADMIN without the staff flag": UserFactory.create(role=Role.ADMIN),
    }


EXPECTED = {  # name: (is_admin, is_expert, is_customer)
    "customer": (False, False, True),
    "expert": (False, True, False),
    "admin": (True, False, False),
    "staff with role EXPERT": (True, False, False),
    "staff with role USER": (True, False, False),
    "role ADMIN without the staff flag": (True, False, False),
}


def test_each_user_has_exactly_the_roles_of_the_definition(people):
    for name, user in people.items():
        assert (user.is_admin, user.is_expert, user.is_customer) == EXPECTED[name], name


def test_the_query_filters_select_the_users_the_predicates_accept(people):
    by_filter = {
        "staff": set(User.objects.staff().values_list("pk", flat=True)),
        "experts": set(User.objects.experts().values_list("pk", flat=True)),
        "customers": set(User.objects.customers().values_list("pk", flat=True)),
    }

    assert by_filter["staff"] == {u.pk for u in people.values() if u.is_admin}
    assert by_filter["experts"] == {u.pk for u in people.values() if u.is_expert}
    assert by_filter["customers"] == {u.pk for u in people.values() if u.is_customer}


def test_the_permission_classes_admit_the_users_the_predicates_accept(people):
    def admits(permission: type, user: User) -> bool:
        return permission().has_permission(SimpleNamespace(user=user), view=None)

    for user in people.values():
        assert admits(IsStaff, user) == user.is_admin
        assert admits(IsExpert, user) == user.is_expert
        assert admits(IsCustomer, user) == user.is_customer


def test_the_experts_directory_lists_experts_only(people):
    assert list(experts_visible()) == [people["expert"]]


def test_the_api_shows_a_staff_account_as_admin_whatever_its_stored_role(people):
    from tests.helpers.api import client_for

    for name in ("staff with role USER", "staff with role EXPERT"):
        assert client_for(people[name]).get("/api/me/").json()["role"] == "ADMIN", name
