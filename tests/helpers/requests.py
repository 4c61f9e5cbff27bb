"""Helpers shared by the request tests."""

from django.urls import reverse

from tests.factories import ExpertFactory


def online_expert(*, skills=(), capacity: int = 1, **fields):
    """An expert matching could pick right now: online and available."""
    return ExpertFactory(
        is_online=True,
        profile__skills=list(skills),
        profile__max_active_requests=capacity,
        **fields,
    )


def url(name: str, request_id=None) -> str:
    return reverse(name, kwargs={"request_id": request_id} if request_id else None)
