import pytest

from accounts.models import Role, User
from tests.factories import ExpertFactory, SkillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_browser(client):
    superuser = User.objects.create_superuser(email="root@example.com", password="x", name="Root")
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/accounts/skill/",
        "/admin/support/expertprofile/",
        "/admin/accounts/user/?role__exact=EXPERT&q=expert",
    ],
)
def test_admin_pages_load_for_staff(staff_browser, path):
    ExpertFactory.create(profile__skills=[SkillFactory.create(name="python")])

    assert staff_browser.get(path).status_code == 200


def test_an_experts_change_page_shows_the_profile_inline(staff_browser):
    expert = ExpertFactory.create(profile__bio="Inline bio text")

    response = staff_browser.get(f"/admin/accounts/user/{expert.pk}/change/")

    assert response.status_code == 200
    assert b"Inline bio text" in response.content


def test_staff_add_a_user_with_email_stored_lower_case(staff_browser):
    response = staff_browser.post(
        "/admin/accounts/user/add/",
        {
            "email": "Added@Example.COM",
            "name": "Added Person",
            "role": Role.USER,
            "password1": "Admin-Added-Secret-5",
            "password2": "Admin-Added-Secret-5",
            "expert_profile-TOTAL_FORMS": "0",
            "expert_profile-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    added = User.objects.get(email="added@example.com")
    assert added.check_password("Admin-Added-Secret-5")


def test_non_staff_cannot_open_the_admin(client, user):
    client.force_login(user)

    assert client.get("/admin/accounts/user/").status_code == 302
