"""Bench users, experts and ACTIVE requests, made in bulk straight through the ORM.

Thousands of password logins would measure the password hasher, not the chat: accounts are
bulk-inserted with unusable passwords and access tokens are minted in-process with the server's
signing key. Everything the bench makes carries the bench.invalid email domain, and is wiped at
the start of each run.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Role, User
from chat.models import Message
from reviews.models import Review
from support.models import ExpertProfile, RequestStatus, SupportRequest

BENCH_DOMAIN = "bench.invalid"
BATCH = 1000


@dataclass(frozen=True)
class PairSpec:
    request_id: str
    user_token: str
    expert_token: str


def wipe() -> None:
    """Remove everything an earlier bench run made (children first: requests PROTECT users)."""
    bench_users = User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}")
    requests = SupportRequest.objects.filter(requester__in=bench_users)
    with transaction.atomic():
        Message.objects.filter(request__in=requests).delete()
        Review.objects.filter(request__in=requests).delete()
        requests.delete()
        ExpertProfile.objects.filter(user__in=bench_users).delete()
        bench_users.delete()


def _users(count: int, *, kind: str, role: str) -> list[User]:
    password = make_password(None)  # unusable: bench accounts can never sign in
    users = [
        User(
            id=uuid.uuid4(),
            email=f"{kind}-{uuid.uuid4().hex[:12]}@{BENCH_DOMAIN}",
            name=f"Bench {kind} {index}",
            role=role,
            password=password,
        )
        for index in range(count)
    ]
    return User.objects.bulk_create(users, batch_size=BATCH)


def _token(user: User) -> str:
    return str(AccessToken.for_user(user))


def create_pairs(count: int) -> list[PairSpec]:
    """`count` user/expert pairs, each with its own ACTIVE request."""
    if count == 0:
        return []
    now = timezone.now()
    with transaction.atomic():
        users = _users(count, kind="user", role=Role.USER)
        experts = _users(count, kind="expert", role=Role.EXPERT)
        # Not available: bench experts must never be matched to anyone else's requests.
        ExpertProfile.objects.bulk_create(
            [ExpertProfile(user=expert, is_available=False) for expert in experts],
            batch_size=BATCH,
        )
        requests = SupportRequest.objects.bulk_create(
            [
                SupportRequest(
                    id=uuid.uuid4(),
                    requester=user,
                    expert=expert,
                    title=f"Bench room {index}",
                    status=RequestStatus.ACTIVE,
                    accepted_at=now,
                )
                for index, (user, expert) in enumerate(zip(users, experts, strict=True))
            ],
            batch_size=BATCH,
        )
    return [
        PairSpec(request_id=str(req.id), user_token=_token(user), expert_token=_token(expert))
        for req, user, expert in zip(requests, users, experts, strict=True)
    ]


def create_lone_users(count: int) -> list[str]:
    """Access tokens of `count` customers with no request (sockets that only stay connected)."""
    with transaction.atomic():
        users = _users(count, kind="idle", role=Role.USER)
    return [_token(user) for user in users]


def stored_client_ids(request_ids: list[str]) -> dict[str, Counter]:
    """client_id -> how many times it is stored, per request."""
    stored: dict[str, Counter] = {request_id: Counter() for request_id in request_ids}
    rows = Message.objects.filter(request_id__in=request_ids).values_list("request_id", "client_id")
    for request_id, client_id in rows.iterator(chunk_size=5000):
        stored[str(request_id)][client_id] += 1
    return stored
