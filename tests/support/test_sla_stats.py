"""admin/stats/: first-response and resolution times (p50, p90), overall and per expert."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from chat.selectors import first_response_times
from core.percentiles import interpolated
from support.models import RequestStatus, SupportRequest
from support.selectors import resolution_times
from tests.factories import ActiveRequestFactory, ExpertFactory, MessageFactory
from tests.helpers.markers import requires_postgres
from tests.helpers.requests import assigned_expert

pytestmark = pytest.mark.django_db

STATS = "/api/admin/stats/"
OPENED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _closed_after(seconds: float, expert=None, opened: datetime = OPENED) -> SupportRequest:
    extra = {"expert": expert} if expert else {}
    return ActiveRequestFactory.create(
        status=RequestStatus.CLOSED,
        created_at=opened,
        accepted_at=opened,
        closed_at=opened + timedelta(seconds=seconds),
        **extra,
    )


def _answered_after(seconds: float, expert=None, opened: datetime = OPENED) -> SupportRequest:
    extra = {"expert": expert} if expert else {}
    request = ActiveRequestFactory.create(created_at=opened, accepted_at=opened, **extra)
    at = opened + timedelta(seconds=seconds)
    MessageFactory.create(request=request, sender=request.requester, seq=1, created_at=opened)
    MessageFactory.create(request=request, sender=request.expert, seq=2, created_at=at)
    MessageFactory.create(
        request=request, sender=request.expert, seq=3, created_at=at + timedelta(seconds=5)
    )
    # What storing those messages records (chat.services); the factories write rows directly.
    SupportRequest.objects.filter(pk=request.pk).update(
        last_seq=3, first_response_at=at, first_responder=request.expert
    )
    return request


def test_interpolation_is_percentile_conts():
    assert interpolated([], 0.5) is None
    assert interpolated([7.0], 0.9) == 7.0
    assert interpolated([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert interpolated([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)
    assert interpolated([10.0, 20.0, 30.0, 40.0, 50.0], 0.9) == pytest.approx(46.0)


def test_resolution_and_first_response_overall_and_per_expert(admin_client):
    fast, slow = ExpertFactory.create(name="Ann Fast"), ExpertFactory.create(name="Bob Slow")
    for seconds in (60, 120, 180):
        _closed_after(seconds, fast)
    _closed_after(3600, slow)
    for seconds in (10, 20):
        _answered_after(seconds, fast)
    _answered_after(300, slow)
    ActiveRequestFactory.create(created_at=OPENED)  # never answered, never closed: no data

    body = admin_client.get(STATS, {"since": "2026-11-01"}).json()

    assert body["since"] == "2026-11-01"
    resolution = body["resolution_seconds"]
    assert (resolution["p50"], resolution["count"]) == (150.0, 4)
    assert resolution["p90"] == pytest.approx(2574.0)  # 180 + 0.7 * (3600 - 180)
    assert resolution["by_expert"] == [
        {
            "expert": {"id": str(fast.pk), "name": "Ann Fast"},
            "p50": 120.0,
            "p90": 168.0,
            "count": 3,
        },
        {
            "expert": {"id": str(slow.pk), "name": "Bob Slow"},
            "p50": 3600.0,
            "p90": 3600.0,
            "count": 1,
        },
    ]
    first = body["first_response_seconds"]
    assert (first["p50"], first["p90"], first["count"]) == (20.0, 244.0, 3)
    assert [(e["expert"]["name"], e["p50"], e["count"]) for e in first["by_expert"]] == [
        ("Ann Fast", 15.0, 2),
        ("Bob Slow", 300.0, 1),
    ]


def test_the_first_response_counts_from_opening_and_belongs_to_whoever_wrote_it(admin_client):
    # Opened, transferred, answered by the second expert 90 s after opening.
    request = _answered_after(90)
    first_expert = assigned_expert(request)
    second = ExpertFactory.create()
    SupportRequest.objects.filter(pk=request.pk).update(expert=second)
    body = admin_client.get(STATS, {"since": "2026-11-01"}).json()
    assert body["first_response_seconds"]["by_expert"][0]["expert"]["id"] == str(first_expert.pk)
    assert body["first_response_seconds"]["p50"] == 90.0


def test_only_requests_opened_since_the_date_count(admin_client):
    _closed_after(60, opened=datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
    _closed_after(120, opened=datetime(2026, 11, 1, 0, 0, tzinfo=UTC))
    body = admin_client.get(STATS, {"since": "2026-11-01"}).json()
    assert (body["resolution_seconds"]["p50"], body["resolution_seconds"]["count"]) == (120.0, 1)


def test_without_data_the_figures_are_null(admin_client):
    body = admin_client.get(STATS).json()
    empty: dict[str, object] = {"p50": None, "p90": None, "count": 0, "by_expert": []}
    assert body["first_response_seconds"] == body["resolution_seconds"] == empty


def test_the_window_defaults_to_the_last_30_days(admin_client):
    _closed_after(60, opened=timezone.now() - timedelta(days=31))
    _closed_after(120, opened=timezone.now() - timedelta(days=29))
    body = admin_client.get(STATS).json()
    assert body["since"] == (timezone.now() - timedelta(days=30)).date().isoformat()
    assert body["resolution_seconds"]["count"] == 1


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "2026-11-01T10:00"])
def test_a_bad_date_is_400(admin_client, since):
    response = admin_client.get(STATS, {"since": since})
    assert response.status_code == 400
    assert "since" in response.json()


@requires_postgres
def test_percentile_cont_and_the_fallback_give_the_same_figures():
    experts = ExpertFactory.create_batch(3)
    for n, seconds in enumerate([0.5, 3, 3, 7.25, 60, 61.5, 1200, 86400 * 2 + 0.125, 42, 17]):
        _closed_after(seconds, experts[n % 3])
        _answered_after(seconds * 1.5, experts[(n + 1) % 3])
    since = OPENED - timedelta(days=1)

    for breakdown in (resolution_times, first_response_times):
        in_db, in_python = (
            breakdown(since=since, in_database=True),
            breakdown(since=since, in_database=False),
        )
        assert in_python.overall.count == in_db.overall.count == 10
        assert in_python.overall.p50 == pytest.approx(in_db.overall.p50, abs=1e-6)
        assert in_python.overall.p90 == pytest.approx(in_db.overall.p90, abs=1e-6)
        assert in_python.by_group.keys() == in_db.by_group.keys()
        for expert_id, figures in in_db.by_group.items():
            fallback = in_python.by_group[expert_id]
            assert fallback.count == figures.count
            assert (fallback.p50, fallback.p90) == pytest.approx((figures.p50, figures.p90))


def test_the_per_expert_lists_can_be_left_out(admin_client):
    body = admin_client.get("/api/admin/stats/?by_expert=false").json()
    full = admin_client.get("/api/admin/stats/").json()

    for figures in ("first_response_seconds", "resolution_seconds"):
        assert "by_expert" not in body[figures]
        assert body[figures] == {k: v for k, v in full[figures].items() if k != "by_expert"}
    assert admin_client.get("/api/admin/stats/?by_expert=maybe").status_code == 400
