"""The data-scale bench's population: the shape it promises, within the database's rules (not a
timed test: `python -m bench data-scale` prints the figures)."""

import pytest
from django.db import connection

from bench.data_scale.cli import render
from bench.data_scale.populate import LONG_CONVERSATION, SIZES, counts, populate
from chat.models import Message
from reviews.models import Review
from support.models import RequestStatus, SupportRequest

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def test_the_small_size_has_the_promised_shape():
    size = SIZES["S"]

    populate(size)

    rows = counts()
    assert rows["users"] == size.users + 1  # with the staff account
    assert rows["experts"] == size.experts
    assert rows["requests"] == size.requests + 1  # with the long conversation
    assert 40_000 < rows["messages"] - LONG_CONVERSATION < 50_000
    assert rows["reviews"] > 0
    statuses = set(SupportRequest.objects.values_list("status", flat=True).distinct())
    assert statuses == set(RequestStatus.values)
    # Every conversation is numbered 1..last_seq, as the chat would have left it.
    long_one = SupportRequest.objects.get(title="A long conversation")
    assert Message.objects.filter(request=long_one).count() == long_one.last_seq
    assert not Review.objects.exclude(request__status=RequestStatus.CLOSED).exists()


def test_the_table_shows_each_size_and_the_growth():
    def timing(ms):
        return {"median_ms": ms, "queries": 3, "calls": 20, "statuses": [200]}

    table = render(
        {
            "S": {"paths": {"GET admin/stats/": timing(40.0)}},
            "L": {"paths": {"GET admin/stats/": timing(538.0)}},
        }
    )

    assert "GET admin/stats/" in table
    assert "40.0 (3)" in table
    assert "538.0 (3)" in table
    assert "13.4x" in table
