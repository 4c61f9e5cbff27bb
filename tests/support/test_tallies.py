"""The counters behind `admin/stats/` (support.tallies): kept by PostgreSQL triggers, they
always equal what counting the tables gives, whatever writes the rows and however many write at
once."""

import pytest
from django.db import connection, transaction

from accounts.models import Role, User
from accounts.services import users_deactivate
from chat.services import message_post
from support import selectors, services, tallies
from support.models import RequestStatus, SupportRequest, Tally
from tests.factories import ActiveRequestFactory, ExpertFactory, SupportRequestFactory, UserFactory
from tests.helpers.concurrency import returned, run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's"),
]


def counted() -> dict:
    """The same figures, counted from the tables."""
    return {
        **selectors._people_counted(),
        "requests": selectors._requests_by_status_counted(),
        "messages": selectors._messages_counted(),
    }


def test_every_kind_of_change_moves_the_counters_as_counting_would():
    customer, other = UserFactory.create_batch(2)
    expert = ExpertFactory.create()
    opened = services.request_create(requester=customer, title="Printer", description="")
    services.request_accept(request_id=opened.pk, expert=expert)
    for text in ("hello", "again"):
        message_post(request_id=opened.pk, sender=customer, content=text)
    services.request_close(request_id=opened.pk, actor=customer)
    cancelled = services.request_create(requester=other, title="Mouse", description="")
    services.request_cancel(request_id=cancelled.pk, actor=other)
    SupportRequestFactory.create_batch(3)
    ActiveRequestFactory.create(last_seq=7)
    User.objects.filter(pk=expert.pk).update(is_online=True)
    User.objects.filter(pk=other.pk).update(role=Role.EXPERT)
    users_deactivate(user_ids=[customer.pk])  # their requests stay; they stop counting
    SupportRequest.objects.filter(requester=other).delete()
    User.objects.filter(pk=UserFactory.create().pk).update(is_staff=True)

    assert selectors.platform_counts() == counted()
    assert selectors.platform_counts()["requests"][RequestStatus.CLOSED] == 1
    assert selectors.platform_counts()["messages"] == 9


def create_a_request_and_roll_back() -> None:
    with transaction.atomic():
        SupportRequestFactory.create()
        raise RuntimeError("roll back")


def test_a_rolled_back_change_is_not_counted():
    before = selectors.platform_counts()
    with pytest.raises(RuntimeError):
        create_a_request_and_roll_back()

    assert selectors.platform_counts() == before == counted()


def test_reading_sums_the_rows_into_one_per_counter():
    SupportRequestFactory.create_batch(5)
    assert Tally.objects.count() > 8

    selectors.platform_counts()

    names = list(Tally.objects.values_list("name", flat=True))
    assert len(names) == len(set(names))


def test_emptying_the_tables_empties_their_counters():
    SupportRequestFactory.create_batch(2)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {SupportRequest._meta.db_table} CASCADE")

    assert selectors.platform_counts()["requests"] == dict.fromkeys(RequestStatus.values, 0)
    assert selectors.platform_counts()["messages"] == 0


def test_writers_and_readers_at_once_lose_no_change():
    customers = UserFactory.create_batch(6)
    active = ActiveRequestFactory.create_batch(4)

    def open_requests(customer):
        return lambda: [
            services.request_create(requester=customer, title=f"#{n}", description="").pk
            for n in range(5)
        ]

    def chat(request):
        return lambda: [
            message_post(request_id=request.pk, sender=request.requester, content=f"{n}")
            for n in range(5)
        ]

    def read():
        return lambda: [selectors.platform_counts() for _ in range(5)]

    returned(
        run_at_once(
            [
                *(open_requests(customer) for customer in customers),
                *(chat(request) for request in active),
                *(read() for _ in range(3)),
                lambda: [tallies.tallies_compact() for _ in range(5)],
            ]
        )
    )

    assert selectors.platform_counts() == counted()
    assert selectors.platform_counts()["messages"] == 4 * 5


def test_the_migration_counts_the_rows_already_there():
    from importlib import import_module

    tallies_migration = import_module("support.migrations.0007_tallies")
    SupportRequestFactory.create_batch(3)
    ActiveRequestFactory.create(last_seq=4)
    with connection.schema_editor() as editor:
        tallies_migration.remove(None, editor)
    UserFactory.create_batch(2)  # not seen by any trigger
    SupportRequestFactory.create()
    with connection.schema_editor() as editor:
        tallies_migration.install(None, editor)

    assert selectors.platform_counts() == counted()


def test_the_response_time_figures_are_reused_until_what_they_are_computed_from_changes(
    admin_client, django_assert_max_num_queries
):
    customer, expert = UserFactory.create(), ExpertFactory.create()
    first = services.request_create(requester=customer, title="One", description="")
    services.request_accept(request_id=first.pk, expert=expert)
    message_post(request_id=first.pk, sender=expert, content="hi")
    stats = admin_client.get("/api/admin/stats/").json()
    assert stats["first_response_seconds"]["count"] == 1
    assert stats["resolution_seconds"]["count"] == 0

    SupportRequestFactory.create()  # moves the counts, not the response times
    version = selectors.response_times_version()
    again = admin_client.get("/api/admin/stats/").json()
    assert again["requests"]["REQUESTED"] == stats["requests"]["REQUESTED"] + 1
    assert again["first_response_seconds"] == stats["first_response_seconds"]
    assert selectors.response_times_version() == version

    services.request_close(request_id=first.pk, actor=customer)
    closed = admin_client.get("/api/admin/stats/").json()
    assert closed["resolution_seconds"]["count"] == 1

    SupportRequest.objects.filter(pk=first.pk).delete()
    deleted = admin_client.get("/api/admin/stats/").json()
    assert deleted["resolution_seconds"]["count"] == 0
    assert deleted["first_response_seconds"]["count"] == 0
    assert deleted == {**deleted, **counted()}


def test_every_change_to_what_the_figures_read_moves_the_version():
    customer, expert = UserFactory.create(), ExpertFactory.create()
    versions = [selectors.response_times_version()]
    opened = services.request_create(requester=customer, title="One", description="")
    services.request_accept(request_id=opened.pk, expert=expert)
    assert selectors.response_times_version() == versions[-1]  # nothing the figures read
    message_post(request_id=opened.pk, sender=expert, content="first answer")
    versions.append(selectors.response_times_version())
    services.request_close(request_id=opened.pk, actor=customer)
    versions.append(selectors.response_times_version())
    ActiveRequestFactory.create(status=RequestStatus.CLOSED)
    versions.append(selectors.response_times_version())
    SupportRequest.objects.filter(pk=opened.pk).delete()
    versions.append(selectors.response_times_version())

    assert len(set(versions)) == len(versions)


def test_renaming_an_expert_renames_them_in_the_figures(admin_client):
    customer, expert = UserFactory.create(), ExpertFactory.create(name="Grace")
    opened = services.request_create(requester=customer, title="One", description="")
    services.request_accept(request_id=opened.pk, expert=expert)
    message_post(request_id=opened.pk, sender=expert, content="hi")

    def named():
        stats = admin_client.get("/api/admin/stats/").json()
        return [entry["expert"]["name"] for entry in stats["first_response_seconds"]["by_expert"]]

    assert named() == ["Grace"]
    User.objects.filter(pk=expert.pk).update(name="Grace Hopper")
    assert named() == ["Grace Hopper"]
