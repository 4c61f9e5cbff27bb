import pytest

from accounts.models import User
from support import services
from support.models import ExpertProfile
from tests.factories import ExpertFactory, SkillFactory, UserFactory
from tests.helpers.api import client_for

pytestmark = pytest.mark.django_db

URL = "/api/me/"


@pytest.fixture
def eligibility_calls(monkeypatch) -> list:
    """Expert ids handed to matching (support.matching is exercised in tests/support)."""
    calls: list = []
    monkeypatch.setattr(
        services, "expert_became_eligible", lambda *, expert_id: calls.append(expert_id)
    )
    return calls


@pytest.fixture
def patch_me(django_capture_on_commit_callbacks):
    """PATCH me/ and run what was deferred to the commit, as a real commit would."""

    def patch(user, body):
        with django_capture_on_commit_callbacks(execute=True):
            return client_for(user).patch(URL, body, format="json")

    return patch


def test_a_user_can_change_their_name(user, user_client):
    response = user_client.patch(URL, {"name": "  New Name "}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "New Name"
    user.refresh_from_db()
    assert user.name == "New Name"


def test_role_email_and_staff_flags_cannot_be_changed_through_me(user, user_client):
    response = user_client.patch(
        URL, {"role": "ADMIN", "email": "new@example.com", "is_staff": True}, format="json"
    )

    assert response.status_code == 200
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.role, fresh.email, fresh.is_staff) == ("USER", user.email, False)


@pytest.mark.parametrize("make", [UserFactory.create, ExpertFactory.create])
def test_anyone_can_turn_offline_emails_off_and_on_again(make):
    someone = make()
    client = client_for(someone)

    turned_off = client.patch(URL, {"email_notifications": False}, format="json")

    assert turned_off.status_code == 200
    assert turned_off.json()["email_notifications"] is False
    assert client.get(URL).json()["email_notifications"] is False
    assert User.objects.get(pk=someone.pk).email_notifications is False
    turned_on = client.patch(URL, {"email_notifications": True}, format="json")
    assert turned_on.json()["email_notifications"] is True


def test_email_notifications_must_be_a_boolean(user, user_client):
    response = user_client.patch(URL, {"email_notifications": "sometimes"}, format="json")

    assert response.status_code == 400
    assert "email_notifications" in response.json()
    assert User.objects.get(pk=user.pk).email_notifications is True


@pytest.mark.parametrize("name", ["", "   ", "x" * 151])
def test_an_invalid_name_is_a_field_error(user_client, name):
    response = user_client.patch(URL, {"name": name}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()


def test_a_non_expert_sending_expert_fields_gets_400(user_client):
    response = user_client.patch(
        URL, {"bio": "I know things", "is_available": True, "skills": []}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"bio", "is_available", "skills"}


def test_an_expert_edits_bio_skills_and_availability():
    SkillFactory.create(name="Python")
    SkillFactory.create(name="Go")
    expert = ExpertFactory.create()

    response = client_for(expert).patch(
        URL,
        {"name": "Dr Expert", "bio": "Twenty years.", "skills": ["python", "Go"]}
        | {"is_available": False},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Dr Expert"
    assert response.json()["expert"]["bio"] == "Twenty years."
    assert response.json()["expert"]["skills"] == ["Go", "Python"]
    assert response.json()["expert"]["is_available"] is False
    profile = ExpertProfile.objects.get(user=expert)
    assert sorted(profile.skills.values_list("name", flat=True)) == ["Go", "Python"]


def test_an_unknown_skill_is_400_and_nothing_changes():
    SkillFactory.create(name="Python")
    expert = ExpertFactory.create(profile__skills=[])

    response = client_for(expert).patch(
        URL, {"bio": "changed", "skills": ["Python", "Cobol"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["skills"] == ["Unknown skill: Cobol"]
    profile = ExpertProfile.objects.get(user=expert)
    assert profile.bio == "Seasoned expert."
    assert not profile.skills.exists()


def test_an_expert_can_clear_their_skills():
    expert = ExpertFactory.create(profile__skills=[SkillFactory.create(name="Rust")])

    response = client_for(expert).patch(URL, {"skills": []}, format="json")

    assert response.json()["expert"]["skills"] == []


@pytest.mark.parametrize("body", [{"is_available": "maybe"}, {"skills": "Python"}])
def test_malformed_expert_fields_are_400(body):
    response = client_for(ExpertFactory.create()).patch(URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == set(body)


def test_turning_available_hands_the_expert_to_matching_after_commit(eligibility_calls, patch_me):
    expert = ExpertFactory.create(profile__is_available=False)

    patch_me(expert, {"is_available": True})

    assert eligibility_calls == [expert.pk]


def test_changing_skills_while_available_hands_the_expert_to_matching(eligibility_calls, patch_me):
    SkillFactory.create(name="Python")
    expert = ExpertFactory.create()

    patch_me(expert, {"skills": ["Python"]})

    assert eligibility_calls == [expert.pk]


@pytest.mark.parametrize(
    ("available", "body"),
    [
        (True, {"bio": "Just the bio"}),
        (True, {"is_available": True}),
        (False, {"skills": ["Python"]}),
        (True, {"is_available": False, "skills": ["Python"]}),
    ],
    ids=["bio-only", "already-available", "unavailable-skill-change", "turning-unavailable"],
)
def test_edits_that_cannot_make_an_expert_eligible_do_not_trigger_matching(
    eligibility_calls, patch_me, available, body
):
    SkillFactory.create(name="Python")
    expert = ExpertFactory.create(profile__is_available=available)

    assert patch_me(expert, body).status_code == 200

    assert eligibility_calls == []


def test_a_rejected_edit_does_not_trigger_matching(eligibility_calls, patch_me):
    expert = ExpertFactory.create(profile__is_available=False)

    response = patch_me(expert, {"is_available": True, "skills": ["Unknown"]})

    assert response.status_code == 400
    assert eligibility_calls == []
    assert ExpertProfile.objects.get(user=expert).is_available is False
