import pytest

from accounts.models import Role, Skill, User
from support.models import ExpertProfile
from tests.factories import SkillFactory, UserFactory
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db

URL = "/api/admin/experts/"
NEW_EXPERT = {
    "email": "New.Expert@Example.com",
    "password": "Unusual-Pass-Phrase-42",
    "name": "New Expert",
    "bio": "Knows billing.",
    "skills": ["Billing", "brand-new-skill"],
    "max_active_requests": 3,
}


def test_staff_create_an_expert_and_unknown_skills_are_created(admin_client):
    existing = SkillFactory.create(name="billing")

    response = admin_client.post(URL, NEW_EXPERT, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "New Expert"
    assert body["bio"] == "Knows billing."
    assert sorted(body["skills"]) == ["billing", "brand-new-skill"]
    assert body["max_active_requests"] == 3
    assert body["active_requests"] == 0
    user = User.objects.get(pk=body["id"])
    assert (user.email, user.role, user.is_staff) == ("new.expert@example.com", Role.EXPERT, False)
    assert ExpertProfile.objects.get(user=user).skills.filter(pk=existing.pk).exists()
    assert Skill.objects.filter(name__iexact="billing").count() == 1


def test_the_new_expert_can_log_in(admin_client, api_client):
    admin_client.post(URL, NEW_EXPERT, format="json")

    response = api_client.post(
        "/api/auth/login/",
        {"email": NEW_EXPERT["email"], "password": NEW_EXPERT["password"]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["user"]["role"] == "EXPERT"


def test_only_email_password_and_name_are_required(admin_client):
    body = {"email": "min@example.com", "password": "Unusual-Pass-Phrase-42", "name": "Min"}

    response = admin_client.post(URL, body, format="json")

    assert response.status_code == 201
    assert response.json()["skills"] == []
    assert response.json()["max_active_requests"] == 1


@pytest.mark.parametrize(
    "staff",
    [{"role": Role.ADMIN, "is_staff": False}, {"role": Role.USER, "is_staff": True}],
    ids=["role-admin", "is-staff"],
)
def test_either_staff_flag_or_admin_role_is_enough(staff):
    response = client_for(UserFactory.create(**staff)).post(URL, NEW_EXPERT, format="json")

    assert response.status_code == 201


def test_customers_and_experts_get_403(user_client, expert_client):
    assert user_client.post(URL, NEW_EXPERT, format="json").status_code == 403
    assert expert_client.post(URL, NEW_EXPERT, format="json").status_code == 403
    assert not User.objects.filter(email="new.expert@example.com").exists()


def test_anonymous_callers_get_401(api_client):
    assert api_client.post(URL, NEW_EXPERT, format="json").status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "password"}, "password"),
        ({"name": ""}, "name"),
        ({"max_active_requests": 0}, "max_active_requests"),
        ({"max_active_requests": 51}, "max_active_requests"),
        ({"skills": [""]}, "skills"),
        ({"skills": "Billing"}, "skills"),
    ],
)
def test_invalid_input_is_a_field_error(admin_client, change, field):
    response = admin_client.post(URL, {**NEW_EXPERT, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.filter(role=Role.EXPERT).exists()


def test_a_duplicate_email_in_any_casing_is_400(admin_client):
    UserFactory.create(email="new.expert@example.com")

    response = admin_client.post(URL, NEW_EXPERT, format="json")

    assert response.status_code == 400
    assert "email" in response.json()
