"""Cursor pages of the lists that grow without bound (`?pagination=cursor`, then the answers'
`next` and `previous`), beside the numbered pages they leave working."""

from datetime import timedelta

import pytest
from django.utils import timezone

from support.models import RequestStatus, SupportRequest
from tests.factories import ExpertFactory, ReviewFactory, SupportRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests_with_ties():
    """25 requests; groups of them share a created_at, so the order rests on the id too."""
    made = SupportRequestFactory.create_batch(25)
    start = timezone.now() - timedelta(hours=1)
    for index, request in enumerate(made):
        SupportRequest.objects.filter(pk=request.pk).update(
            created_at=start + timedelta(seconds=index // 4)
        )
    return made


def _walk(client, url, *, link="next"):
    pages = []
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.content
        pages.append(answer.json())
        url = answer.json()[link]
    return pages


def _ids(pages):
    return [row["id"] for page in pages for row in page["results"]]


def test_walking_by_cursor_gives_every_request_once_in_the_numbered_order(
    admin_client, requests_with_ties
):
    by_number = _ids(_walk(admin_client, "/api/requests/?page_size=7"))
    by_cursor = _walk(admin_client, "/api/requests/?pagination=cursor&page_size=7")

    assert _ids(by_cursor) == by_number
    assert len(by_number) == 25
    assert [len(page["results"]) for page in by_cursor] == [7, 7, 7, 4]
    assert {page["count"] for page in by_cursor} == {25}
    assert by_cursor[0]["previous"] is None
    assert all("cursor=" in page["next"] for page in by_cursor[:-1])
    assert "pagination=" not in by_cursor[0]["next"]


def test_walking_back_by_previous_gives_the_same_pages(admin_client, requests_with_ties):
    forward = _walk(admin_client, "/api/requests/?pagination=cursor&page_size=6")
    backward = _walk(admin_client, forward[-1]["previous"], link="previous")

    assert [_ids([page]) for page in backward] == [_ids([page]) for page in forward[-2::-1]]
    assert backward[-1]["previous"] is None


def test_new_requests_do_not_shift_a_walk_under_way(admin_client, requests_with_ties):
    first = admin_client.get("/api/requests/?pagination=cursor&page_size=10").json()
    SupportRequestFactory.create_batch(3)  # newest first: they go before the first page
    rest = _walk(admin_client, first["next"])

    seen = _ids([first, *rest])
    assert len(seen) == len(set(seen)) == 25


def test_filters_hold_on_cursor_pages(admin_client, requests_with_ties):
    SupportRequest.objects.filter(pk__in=[request.pk for request in requests_with_ties[:9]]).update(
        status=RequestStatus.CANCELLED
    )

    pages = _walk(admin_client, "/api/requests/?status=CANCELLED&pagination=cursor&page_size=4")

    assert sorted(_ids(pages)) == sorted(str(request.pk) for request in requests_with_ties[:9])
    assert all("status=CANCELLED" in page["next"] for page in pages[:-1])


def test_a_cursor_page_costs_what_a_numbered_page_costs(
    admin_client, requests_with_ties, django_assert_max_num_queries
):
    first = admin_client.get("/api/requests/?pagination=cursor&page_size=5").json()
    numbered = admin_client.get("/api/requests/?page=3&page_size=5")
    assert numbered.status_code == 200

    with django_assert_max_num_queries(6):  # the user, count, rows, read positions ...
        assert admin_client.get(first["next"]).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "cursor=not-a-cursor",
        "cursor=e30",  # {} in base64
        "cursor=eyJ2IjpbIngiLCJ5Il0sImIiOmZhbHNlfQ",  # values that are not a date and an id
        "cursor=eyJ2IjpbXSwiYiI6ZmFsc2V9",  # no values at all
        "pagination=sideways",
    ],
)
def test_a_bad_cursor_is_a_clear_400(admin_client, requests_with_ties, query):
    answer = admin_client.get(f"/api/requests/?{query}")

    assert answer.status_code == 400
    assert set(answer.json()) <= {"cursor", "pagination"}


def test_page_and_cursor_together_are_refused(admin_client, requests_with_ties):
    first = admin_client.get("/api/requests/?pagination=cursor&page_size=5").json()

    answer = admin_client.get(first["next"] + "&page=2")

    assert answer.status_code == 400
    assert "cursor" in answer.json()


def test_a_list_paged_by_number_only_says_so(user_client):
    answer = user_client.get("/api/experts/?pagination=cursor")

    assert answer.status_code == 400
    assert "page" in answer.json()["cursor"][0]


def test_an_experts_reviews_by_cursor(user_client):
    expert = ExpertFactory.create()
    reviews = ReviewFactory.create_batch(7, expert=expert, request__expert=expert)

    pages = _walk(user_client, f"/api/experts/{expert.pk}/reviews/?pagination=cursor&page_size=3")

    assert len(pages) == 3
    assert sorted(_ids(pages)) == sorted(review.pk for review in reviews)


def test_the_schema_offers_cursors_on_the_lists_that_grow(admin_client):
    schema = admin_client.get("/api/schema/?format=json").json()

    def parameters(path):
        return {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}

    for path in (
        "/api/requests/",
        "/api/requests/queue/",
        "/api/requests/{request_id}/timeline/",
        "/api/experts/{expert_id}/reviews/",
    ):
        assert {"page", "page_size", "pagination", "cursor"} <= parameters(path), path
    assert "cursor" not in parameters("/api/experts/")
