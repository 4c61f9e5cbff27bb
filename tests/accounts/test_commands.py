import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, User
from support.models import ExpertProfile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _run(*args, **options) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_seed_expert_creates_the_default_expert_in_debug(settings, api_client):
    settings.DEBUG = True

    _run("seed_expert")

    expert = User.objects.get(email="expert@marketplace.com")
    assert (expert.role, expert.name) == (Role.EXPERT, "Marketplace Expert")
    assert ExpertProfile.objects.get(user=expert).skills.count() >= 2
    response = api_client.post(
        "/api/auth/login/",
        {"email": "expert@marketplace.com", "password": "ExpertPassword123"},
        format="json",
    )
    assert response.status_code == 200


def test_seed_expert_is_idempotent(settings):
    settings.DEBUG = True
    _run("seed_expert")

    output = _run("seed_expert")

    assert "already exists" in output
    assert User.objects.filter(email="expert@marketplace.com").count() == 1


def test_seed_expert_refuses_the_default_password_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--password"):
        _run("seed_expert")
    assert not User.objects.exists()


def test_seed_expert_with_debug_off_accepts_an_explicit_password(settings):
    settings.DEBUG = False

    _run(
        "seed_expert",
        "--email=Ops@Example.com",
        "--password=Another-Strong-Secret-7",
        "--name=Ops Expert",
        "--skills=networking, dns",
    )

    expert = User.objects.get(email="ops@example.com")
    assert expert.check_password("Another-Strong-Secret-7")
    assert sorted(expert.expert_profile.skills.values_list("name", flat=True)) == [
        "dns",
        "networking",
    ]


def test_seed_expert_rejects_a_weak_explicit_password(settings):
    with pytest.raises(CommandError, match="password"):
        _run("seed_expert", "--password=123")


def test_create_expert_creates_an_expert_with_skills_and_capacity():
    output = _run(
        "create_expert",
        "Jane@Example.com",
        "--password=Jane-Strong-Secret-3",
        "--name=Jane Doe",
        "--skills=billing,refunds",
        "--max-active=4",
    )

    expert = User.objects.get(email="jane@example.com")
    assert "Created expert jane@example.com" in output
    assert expert.role == Role.EXPERT
    assert expert.expert_profile.max_active_requests == 4
    assert sorted(expert.expert_profile.skills.values_list("name", flat=True)) == [
        "billing",
        "refunds",
    ]


def test_create_expert_refuses_a_duplicate_email():
    UserFactory.create(email="jane@example.com")

    with pytest.raises(CommandError, match="email"):
        _run("create_expert", "JANE@example.com", "--password=Jane-Strong-Secret-3", "--name=J")


def test_create_expert_refuses_a_weak_password():
    with pytest.raises(CommandError, match="password"):
        _run("create_expert", "jane@example.com", "--password=password", "--name=Jane")
    assert not User.objects.exists()


def test_create_expert_refuses_an_out_of_range_capacity():
    with pytest.raises(CommandError, match="max_active_requests"):
        _run(
            "create_expert",
            "jane@example.com",
            "--password=Jane-Strong-Secret-3",
            "--name=Jane",
            "--max-active=0",
        )


def test_createsuperuser_noinput_reads_email_password_and_name_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Root-Strong-Secret-1")
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Site Operator")

    _run("createsuperuser", "--noinput")

    admin = User.objects.get(email="root@example.com")
    assert admin.name == "Site Operator"
    assert (admin.role, admin.is_staff, admin.is_superuser) == (Role.ADMIN, True, True)
    assert admin.check_password("Root-Strong-Secret-1")
