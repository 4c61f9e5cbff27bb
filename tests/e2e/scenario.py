"""Data and tokens for the end-to-end tests, made in the test process with the real ORM.

The daphne processes read the same PostgreSQL test database, so everything is committed
(`django_db(transaction=True)`) before a socket asks for it.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar
from uuid import UUID

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from tests.factories import ActiveRequestFactory
from tests.helpers.markers import requires_services

T = TypeVar("T")

# Every end-to-end module starts with `pytestmark = E2E`.
E2E = [
    pytest.mark.e2e,
    requires_services,
    pytest.mark.django_db(transaction=True),
]


async def in_db(function, /, *args, **kwargs):
    """Run ORM code from an async test in a worker thread, closing that thread's connection so
    no stray session keeps the test database open."""

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    return await sync_to_async(run, thread_sensitive=False)()


def jwt_setting(name: str, kind: type[T]) -> T:
    """settings.SIMPLE_JWT[name], checked to be a `kind` (the settings dict mixes types)."""
    value = settings.SIMPLE_JWT[name]
    assert isinstance(value, kind), value
    return value


def access_token(user: User, *, lifetime: timedelta | None = None) -> str:
    token = AccessToken.for_user(user)
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)


@dataclass(frozen=True)
class Pair:
    """An ACTIVE request: the customer who opened it and the expert assigned to it."""

    request_id: UUID
    user_id: UUID
    expert_id: UUID
    user_token: str
    expert_token: str


def _make_pair() -> Pair:
    request = ActiveRequestFactory.create()
    expert = request.expert
    assert expert is not None
    return Pair(
        request_id=request.pk,
        user_id=request.requester_id,
        expert_id=expert.pk,
        user_token=access_token(request.requester),
        expert_token=access_token(expert),
    )


async def active_pair() -> Pair:
    return await in_db(_make_pair)


async def active_pairs(count: int) -> list[Pair]:
    return await in_db(lambda: [_make_pair() for _ in range(count)])
