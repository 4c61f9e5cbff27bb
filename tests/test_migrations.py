"""The migrations that moved expert profiles to support and presence to chat keep every row,
and the permissions that staff were given on those models, when run on a database as it was
before the move."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import User
from chat.models import ServerProcess, SocketConnection
from support.models import ExpertProfile, RequestEvent

BEFORE_THE_MOVE = [
    ("accounts", "0001_initial"),
    ("support", "0001_initial"),
    ("chat", "0001_initial"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def latest():
    """The latest migrations, which the database is brought back to whatever the test does."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    yield leaves
    migrate(leaves)
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_moving_the_models_keeps_their_rows_and_permissions(latest):
    old = migrate(BEFORE_THE_MOVE)
    old_user = old.get_model("accounts", "User").objects.create(
        email="ex@example.com", name="Ex", role="EXPERT", is_online=True
    )
    skill = old.get_model("accounts", "Skill").objects.create(name="billing")
    profile = old.get_model("accounts", "ExpertProfile").objects.create(
        user=old_user, bio="Seasoned", max_active_requests=3, rating_sum=9, rating_count=2
    )
    profile.skills.add(skill)
    process = old.get_model("accounts", "ServerProcess").objects.create(hostname="web-1", pid=42)
    old.get_model("accounts", "SocketConnection").objects.create(
        channel_name="specific.abc!1", user=old_user, process=process
    )
    content_type, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="accounts", model="expertprofile"
    )
    permission, _ = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="change_expertprofile", defaults={"name": "Can"}
    )
    old.get_model("auth", "Group").objects.create(name="Expert managers").permissions.add(
        permission
    )

    migrate(latest)
    ContentType.objects.clear_cache()

    moved = ExpertProfile.objects.get(user_id=old_user.pk)
    assert (moved.bio, moved.max_active_requests, moved.rating_sum, moved.rating_count) == (
        "Seasoned",
        3,
        9,
        2,
    )
    assert moved.rating_avg == Decimal(0)
    assert [s.name for s in moved.skills.all()] == ["billing"]
    assert User.objects.get(pk=old_user.pk).expert_profile == moved
    socket = SocketConnection.objects.get(pk="specific.abc!1")
    assert (socket.user_id, socket.process_id) == (old_user.pk, process.pk)
    assert ServerProcess.objects.get(pk=process.pk).hostname == "web-1"
    assert socket.connected_at <= timezone.now()
    group_permission = Group.objects.get(name="Expert managers").permissions.get()
    assert group_permission == Permission.objects.get(
        content_type=ContentType.objects.get_for_model(ExpertProfile),
        codename="change_expertprofile",
    )
    assert not ContentType.objects.filter(app_label="accounts", model="expertprofile").exists()


@pytest.mark.django_db(transaction=True)
def test_requests_older_than_the_timeline_get_entries_from_their_timestamps(latest):
    old = migrate([("support", "0003_read_state"), ("chat", "0001_initial")])
    users = old.get_model("accounts", "User").objects
    customer = users.create(email="c@example.com", name="Cy", role="USER")
    expert = users.create(email="e@example.com", name="Ex", role="EXPERT")
    requests = old.get_model("support", "SupportRequest").objects
    now = timezone.now()
    waiting = requests.create(requester=customer, title="Waiting", created_at=now)
    closed = requests.create(
        requester=customer,
        expert=expert,
        title="Closed",
        status="CLOSED",
        created_at=now,
        accepted_at=now,
        closed_at=now,
    )

    migrate(latest)

    def entries(request_id):
        rows = RequestEvent.objects.filter(request_id=request_id).order_by("at", "id")
        return [(e.event, e.actor_id, e.detail) for e in rows]

    assert entries(waiting.pk) == [("created", customer.pk, {"backfilled": True})]
    assert entries(closed.pk) == [
        ("created", customer.pk, {"backfilled": True}),
        ("assigned", None, {"expert": {"id": str(expert.pk), "name": "Ex"}, "backfilled": True}),
        ("closed", None, {"backfilled": True}),
    ]


@pytest.mark.django_db(transaction=True)
def test_requests_answered_before_first_responses_were_recorded_get_theirs_from_history(latest):
    old = migrate([("support", "0005_newest_first_indexes"), ("chat", "0003_attachments")])
    users = old.get_model("accounts", "User").objects
    customer = users.create(email="c@example.com", name="Cy", role="USER")
    expert = users.create(email="e@example.com", name="Ex", role="EXPERT")
    requests = old.get_model("support", "SupportRequest").objects
    messages = old.get_model("chat", "Message").objects
    now = timezone.now()
    answered = requests.create(
        requester=customer,
        expert=expert,
        title="Answered",
        status="ACTIVE",
        accepted_at=now,
        last_seq=3,
    )
    unanswered = requests.create(
        requester=customer, expert=expert, title="Not yet", status="ACTIVE", last_seq=1
    )
    for seq, sender, minutes in ((1, customer, 0), (2, expert, 5), (3, expert, 9)):
        messages.create(
            request=answered,
            sender=sender,
            seq=seq,
            content="m",
            created_at=now.replace(minute=minutes),
        )
    messages.create(request=unanswered, sender=customer, seq=1, content="m", created_at=now)

    migrate(latest)

    from support.models import SupportRequest

    first = SupportRequest.objects.get(pk=answered.pk)
    assert (first.first_response_at, first.first_responder_id) == (now.replace(minute=5), expert.pk)
    none = SupportRequest.objects.get(pk=unanswered.pk)
    assert (none.first_response_at, none.first_responder_id) == (None, None)
