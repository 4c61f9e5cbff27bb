"""The admin's paginator for large tables: the planner's estimate for an unfiltered list on
PostgreSQL, an exact count for anything filtered (or small, or elsewhere)."""

import pytest
from django.db import connection

from core import admin_pages
from core.admin_pages import EstimatedCountPaginator
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
    monkeypatch.setattr(admin_pages, "EXACT_BELOW", 0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [SupportRequest._meta.db_table],
        )
        (estimate,) = cursor.fetchone()

    paginator = EstimatedCountPaginator(SupportRequest.objects.order_by("-created_at"), 10)

    assert paginator.count == estimate


def test_a_filtered_or_small_list_is_counted_exactly(requests, monkeypatch):
    monkeypatch.setattr(admin_pages, "EXACT_BELOW", 0)
    filtered = SupportRequest.objects.filter(title__startswith="zzz")
    assert EstimatedCountPaginator(filtered, 10).count == 0
    monkeypatch.setattr(admin_pages, "EXACT_BELOW", 1_000)
    assert EstimatedCountPaginator(SupportRequest.objects.all(), 10).count == 30
