"""Set-based population: every table filled by INSERT … SELECT over generate_series, computed in
PostgreSQL (millions of rows in seconds, nothing shipped from Python). Columns the bench does
not choose get the model field's default, so a new field with a default needs no change here.

The shape: user 0 is staff; users 1..experts are experts (the last SPARE_EXPERTS of them
unavailable and idle, for the timed accepts), the rest customers. Requests are 2 % waiting,
5 % active, 85 % closed and 8 % cancelled, spread over a year; active and closed ones have
1-19 messages (9.6 on average), and 40 % of the closed ones a review. One active request has a
conversation of LONG_CONVERSATION messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, models

from accounts.models import Skill, User
from chat.models import Message
from reviews.models import Review
from support.models import ExpertProfile, SupportRequest, Tally
from support.tallies import tallies_compact

SKILLS = 20
SPARE_EXPERTS = 40  # idle experts, one timed accept each
SPARE_REQUESTS = 40  # waiting requests without a skill, for those accepts
LONG_CONVERSATION = 10_000

Value = str | tuple[str, list]


@dataclass(frozen=True)
class Size:
    name: str
    users: int

    @property
    def experts(self) -> int:
        return self.users // 10

    @property
    def requests(self) -> int:
        return self.users * 5


SIZES = {"S": Size("S", 1_000), "M": Size("M", 10_000), "L": Size("L", 100_000)}


def insert_select(model: type[models.Model], source: str, values: dict[str, Value]) -> None:
    """INSERT INTO the model's table SELECT … FROM `source`: for each field, its SQL expression
    in `values` (with its parameters, if a tuple), or else the field's default."""
    columns, expressions, arguments = [], [], []
    for field in model._meta.concrete_fields:
        value = values.get(field.name)
        if value is None and isinstance(field, models.AutoField | models.BigAutoField):
            continue  # the database numbers the rows
        columns.append(connection.ops.quote_name(field.column))
        if value is None:
            expressions.append("%s")
            arguments.append(field.get_db_prep_save(field.get_default(), connection))
        elif isinstance(value, tuple):
            expressions.append(value[0])
            arguments.extend(value[1])
        else:
            expressions.append(value.replace("%", "%%"))  # a modulo, not a placeholder
    table = connection.ops.quote_name(model._meta.db_table)
    source = source.replace("%", "%%")
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(expressions)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments)


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)  # no parameters: a % in it is SQL's modulo


def _truncate() -> None:
    models_ = (Message, Review, SupportRequest, ExpertProfile, Skill, User)
    tables = [model._meta.db_table for model in models_]
    tables.append(ExpertProfile.skills.through._meta.db_table)
    _execute(f"TRUNCATE {', '.join(connection.ops.quote_name(t) for t in tables)} CASCADE")


def user_id(n: str) -> str:
    return f"md5('user' || {n})::uuid"


def request_id(n: str) -> str:
    return f"md5('request' || {n})::uuid"


def populate(size: Size) -> float:
    """Empty the product tables and fill them at `size`; the seconds it took."""
    started = time.perf_counter()
    _truncate()
    experts, users, requests = size.experts, size.users, size.requests
    spare_from = experts - SPARE_EXPERTS + 1
    insert_select(
        User,
        f"generate_series(0, {users}) AS n",
        {
            "id": user_id("n"),
            "email": "'u' || n || '@scale.invalid'",
            "name": "'Person ' || n",
            "role": (
                f"CASE WHEN n = 0 THEN 'ADMIN' WHEN n <= {experts} THEN 'EXPERT' ELSE 'USER' END"
            ),
            "is_staff": "n = 0",
            "is_superuser": "n = 0",
            "is_online": f"n BETWEEN 1 AND {spare_from - 1} AND n % 10 = 0",
            "password": ("%s", [make_password(None)]),
            "date_joined": "now() - n * interval '1 minute'",
        },
    )
    insert_select(Skill, f"generate_series(1, {SKILLS}) AS n", {"id": "n", "name": "'skill-' || n"})
    _execute(f"SELECT setval(pg_get_serial_sequence('{Skill._meta.db_table}', 'id'), {SKILLS})")
    insert_select(
        ExpertProfile,
        f"generate_series(1, {experts}) AS n",
        {
            "user": user_id("n"),
            "bio": "'Expert number ' || n",
            "is_available": f"n < {spare_from}",
            "max_active_requests": "3",
            "rating_sum": "4 * (1 + n % 5)",
            "rating_count": "4",
            "rating_avg": "1 + n % 5",
        },
    )
    through = ExpertProfile.skills.through._meta.db_table
    _execute(
        f"INSERT INTO {through} (expertprofile_id, skill_id) "
        f"SELECT {user_id('n')}, 1 + (n + k) % {SKILLS} "
        f"FROM generate_series(1, {experts}) AS n, generate_series(0, 1) AS k"
    )
    # Requests: n = 1..requests; status by n % 100; experts 1..spare_from-1 in turn.
    status = (
        f"CASE WHEN n <= {SPARE_REQUESTS} OR n % 100 < 2 THEN 'REQUESTED' "
        "WHEN n % 100 < 7 THEN 'ACTIVE' WHEN n % 100 < 92 THEN 'CLOSED' ELSE 'CANCELLED' END"
    )
    assigned = f"({status}) IN ('ACTIVE', 'CLOSED')"
    messages = f"CASE WHEN {assigned} THEN 1 + n % 19 ELSE 0 END"
    created = f"now() - ({requests} - n) * interval '1 minute'"
    insert_select(
        SupportRequest,
        f"generate_series(1, {requests}) AS n",
        {
            "id": request_id("n"),
            "requester": user_id(f"{experts + 1} + n % {users - experts}"),
            "expert": f"CASE WHEN {assigned} THEN {user_id(f'1 + n % {spare_from - 1}')} END",
            "title": "'Request ' || n",
            "description": "'Something is not working as it should.'",
            "skill": f"CASE WHEN n <= {SPARE_REQUESTS} THEN NULL ELSE 1 + n % {SKILLS} END",
            "status": status,
            "created_at": created,
            "accepted_at": f"CASE WHEN {assigned} THEN {created} + interval '30 seconds' END",
            "closed_at": (
                f"CASE WHEN ({status}) IN ('CLOSED', 'CANCELLED') "
                f"THEN {created} + interval '20 minutes' END"
            ),
            "last_seq": messages,
            "requester_read_seq": messages,
            "expert_read_seq": messages,
            # Messages alternate, the requester first, 10 s apart: the expert's first is seq 2.
            "first_response_at": (
                f"CASE WHEN ({messages}) >= 2 THEN {created} + interval '20 seconds' END"
            ),
            "first_responder": (
                f"CASE WHEN ({messages}) >= 2 THEN {user_id(f'1 + n % {spare_from - 1}')} END"
            ),
        },
    )
    # The long conversation: an active request with LONG_CONVERSATION messages.
    long_request = "md5('request-long')::uuid"
    insert_select(
        SupportRequest,
        "generate_series(1, 1) AS n",
        {
            "id": long_request,
            "requester": user_id(str(experts + 1)),
            "expert": user_id("1"),
            "title": "'A long conversation'",
            "status": "'ACTIVE'",
            "accepted_at": "now()",
            "last_seq": str(LONG_CONVERSATION),
            "requester_read_seq": str(LONG_CONVERSATION),
            "expert_read_seq": str(LONG_CONVERSATION),
        },
    )
    request_table = SupportRequest._meta.db_table
    insert_select(
        Message,
        f"{request_table} AS r, generate_series(1, r.last_seq) AS s",
        {
            "request": "r.id",
            "sender": "CASE WHEN s % 2 = 1 THEN r.requester_id ELSE r.expert_id END",
            "seq": "s",
            "content": "'Message ' || s || ' of this conversation, with a few words in it.'",
            "client_id": "NULL",
            "created_at": "r.created_at + s * interval '10 seconds'",
        },
    )
    insert_select(
        Review,
        f"{request_table} AS r "
        "WHERE r.status = 'CLOSED' AND abs(hashtext(r.id::text)) % 5 IN (0, 1)",
        {
            "request": "r.id",
            "expert": "r.expert_id",
            "reviewer": "r.requester_id",
            "rating": "1 + abs(hashtext(r.id::text)) % 5",
            "comment": "'Thanks.'",
            "created_at": "r.closed_at + interval '1 minute'",
        },
    )
    for model in (Message, Review):
        table = model._meta.db_table
        _execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    # The counters' rows the triggers added, summed as the worker would have done meanwhile, and
    # the dead rows that leaves cleared.
    tallies_compact()
    # Rewritten: the rows just summed would otherwise leave the table hundreds of empty pages
    # long until autovacuum's next visits, and every read of the counters scans them.
    _execute(f"VACUUM FULL {Tally._meta.db_table}")
    _execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "experts": ExpertProfile.objects.count(),
        "requests": SupportRequest.objects.count(),
        "messages": Message.objects.count(),
        "reviews": Review.objects.count(),
    }
