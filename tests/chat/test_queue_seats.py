"""Queue notifications reach experts' sockets through one broadcast to the queue group of the
request's skill (or of every expert); each socket passes it on only while its expert is
available, and a change of skills or availability moves the sockets at once."""

import pytest
from channels.db import database_sync_to_async

from support.services import profile_update, request_cancel, request_create
from tests.factories import SkillFactory, UserFactory
from tests.helpers.requests import online_expert
from tests.helpers.sockets import connected, drain, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = {"request-queued", "request-taken"}


def queue_frames(frames: list[dict]) -> list[tuple[str, str | None]]:
    return [
        (f["type"], f.get("request", {}).get("title") or f.get("request_id"))
        for f in frames
        if f["type"] in QUEUE
    ]


@database_sync_to_async
def busy_expert(**fields):
    """Online, with the given skills, and at capacity: told of the queue, never matched."""
    expert = online_expert(**fields)
    customer = UserFactory.create()
    request_create(requester=customer, title="Keeps them busy")
    return expert


@database_sync_to_async
def open_request(title: str, skill: str | None = None):
    return request_create(requester=UserFactory.create(), title=title, skill_name=skill)


async def test_only_available_experts_with_the_skill_hear_of_a_waiting_request():
    python = await database_sync_to_async(SkillFactory.create)(name="python")
    with_skill = await busy_expert(skills=[python])
    without = await busy_expert()
    away = await busy_expert(skills=[python], profile__is_available=False)
    sockets = [await connected(user) for user in (with_skill, without, away)]
    for socket in sockets:
        await drain(socket, skip=set())

    await open_request("Python help", skill="python")

    heard = [queue_frames(await drain(socket, skip=set())) for socket in sockets]
    assert heard == [[("request-queued", "Python help")], [], []]
    for socket in sockets:
        await socket.disconnect()


async def test_turning_available_and_changing_skills_move_the_sockets_at_once():
    python, _ = await database_sync_to_async(
        lambda: (SkillFactory.create(name="python"), SkillFactory.create(name="billing"))
    )()
    expert = await busy_expert(skills=[python], profile__is_available=False)
    socket = await connected(expert)
    await drain(socket, skip=set())

    await database_sync_to_async(profile_update)(user=expert, is_available=True, skills=["billing"])
    await drain(socket, skip=set())
    await open_request("Python help", skill="python")
    billing_request = await open_request("Billing help", skill="billing")

    frames = queue_frames(await drain(socket, skip=set()))
    assert frames == [("request-queued", "Billing help")]

    await database_sync_to_async(request_cancel)(
        request_id=billing_request.pk, actor=billing_request.requester
    )
    taken = await receive_until(socket, "request-taken")
    assert taken["request_id"] == str(billing_request.pk)
    await socket.disconnect()
