"""The paginator for large tables (REST pages, admin lists): the planner's estimate for an
unfiltered list on PostgreSQL, an exact count for anything filtered (or small, or elsewhere)."""

import pytest
from django.core.paginator import EmptyPage
from django.db import connection

from core import pages
from core.pages import EstimatedCountPaginator
from support.models import SupportRequest
from tests.factories import SupportRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests():
    SupportRequestFactory.create_batch(30)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {SupportRequest._meta.db_table}")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner estimate")
def test_an_unfiltered_large_list_is_counted_from_the_estimate(requests, monkeypatch):
    monkeypatch.setattr(pages, "EXACT_BELOW", 0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [SupportRequest._meta.db_table],
        )
        (estimate,) = cursor.fetchone()

    paginator = EstimatedCountPaginator(SupportRequest.objects.order_by("-created_at"), 10)

    assert paginator.count == estimate


def test_a_filtered_or_small_list_is_counted_exactly(requests, monkeypatch):
    monkeypatch.setattr(pages, "EXACT_BELOW", 0)
    filtered = SupportRequest.objects.filter(title__startswith="zzz")
    assert EstimatedCountPaginator(filtered, 10).count == 0
    monkeypatch.setattr(pages, "EXACT_BELOW", 1_000)
    assert EstimatedCountPaginator(SupportRequest.objects.all(), 10).count == 30


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner estimate")
def test_pages_past_a_short_estimate_are_still_served_and_next_is_exact(requests, monkeypatch):
    monkeypatch.setattr(pages, "EXACT_BELOW", 0)
    monkeypatch.setattr(EstimatedCountPaginator, "count", 5)  # the estimate falls short: 30 rows
    paginator = EstimatedCountPaginator(SupportRequest.objects.order_by("pk"), 10)

    first, third = paginator.page(1), paginator.page(3)

    assert first.has_next()
    assert len(third.object_list) == 10
    assert not third.has_next()
    with pytest.raises(EmptyPage):
        paginator.page(4)
