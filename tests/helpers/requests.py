"""Helpers shared by the request tests."""

from collections.abc import Iterable

from django.urls import reverse

from accounts.models import Skill, User
from support.models import SupportRequest
from tests.factories import ExpertFactory


def online_expert(*, skills: Iterable[Skill] = (), capacity: int = 1, **fields: object) -> User:
    """An expert matching could pick right now: online and available."""
    return ExpertFactory.create(
        is_online=True,
        profile__skills=list(skills),
        profile__max_active_requests=capacity,
        **fields,
    )


def url(name: str, request_id=None) -> str:
    return reverse(name, kwargs={"request_id": request_id} if request_id else None)


def assigned_expert(request: SupportRequest) -> User:
    """The expert an assigned request belongs to (typed: the column itself is nullable)."""
    assert request.expert is not None, "the request has no expert"
    return request.expert
