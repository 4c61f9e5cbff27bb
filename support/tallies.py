"""The platform's counters for `admin/stats/` (requests by status, messages, people), the same
cost on a thousand rows as on millions.

Counting them on each call reads every request and every user (a second at half a million
requests). Instead, on PostgreSQL, triggers (installed by migration 0007) add a `Tally` row for
each change that moves a counter, in the transaction that makes the change: whatever writes the
row (a service, the admin, a cascade, a raw statement) is counted, and a rolled-back change is
not. Rows are only ever inserted, so concurrent writers never wait on one another; `compact`
sums them into one row per counter, and reading compacts first, so a read costs the rows added
since the last one. Elsewhere (SQLite, a development database) the counters are plain counts.
"""

from django.db import connection, transaction

from support.models import Tally

# Serialises compactions across processes, so one never misses rows another has taken away
# but not yet written back as their sum.
_COMPACT_LOCK = 0x5A11E5

REQUEST_COUNTER_PREFIX = "requests."
MESSAGES = "messages"
# Counts up at every change to what the response-time figures are computed from (a first
# response, a close, a deletion of an answered or closed request, a user's rename): config.stats
# keys its cache of those figures by it. It starts from the clock and only counts up, so a value
# is never seen twice.
RESPONSE_TIME_CHANGES = "response_time_changes"
PEOPLE = ("users", "experts", "experts_online")


def kept_by_triggers() -> bool:
    return connection.vendor == "postgresql"


def tally_totals() -> dict[str, int]:
    """Every counter's value as of now (compacting first)."""
    with transaction.atomic():
        _compact_locked()
        return dict(Tally.objects.values_list("name", "delta"))


def tallies_compact() -> int:
    """The worker's job: sum the rows of each counter into one. Returns 0: what is left to do
    is only ever the next writes, never a backlog to hurry through."""
    if kept_by_triggers():
        with transaction.atomic():
            _compact_locked()
    return 0


def _compact_locked() -> None:
    table = Tally._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_COMPACT_LOCK])
        # One statement: the rows it deletes are exactly the ones it sums (rows committed by
        # others meanwhile are not in its snapshot and stay, to be summed next time).
        cursor.execute(
            f"WITH gone AS (DELETE FROM {table} RETURNING name, delta) "
            f"INSERT INTO {table} (name, delta) SELECT name, sum(delta) FROM gone GROUP BY name"
        )
