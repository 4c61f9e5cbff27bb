"""Every list page of Django admin, with every choice of every filter and a search, loads; the
request list's expert filter offers experts only."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from accounts.models import User
from support.models import SupportRequest
from tests.factories import (
    ActiveRequestFactory,
    AdminFactory,
    ExpertFactory,
    MessageFactory,
    ReviewFactory,
    SkillFactory,
    SupportRequestFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    superuser = AdminFactory.create(is_superuser=True)
    ExpertFactory.create(profile__skills=[SkillFactory.create(name="python")])
    MessageFactory.create()
    ReviewFactory.create()
    SupportRequestFactory.create(skill=SkillFactory.create(name="billing"))
    return superuser


def filter_choices(model_admin: admin.ModelAdmin, staff: User) -> list[str]:
    """The query string of every choice of every list filter of this admin page."""
    request = RequestFactory().get("/")
    request.user = staff
    changelist = model_admin.get_changelist_instance(request)
    filters, *_ = changelist.get_filters(request)
    return [choice["query_string"] for f in filters for choice in f.choices(changelist)]


def test_every_list_page_loads_with_every_filter_choice_and_a_search(staff):
    client = Client()
    client.force_login(staff)
    for model, model_admin in admin.site._registry.items():
        page = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        queries = ["", *filter_choices(model_admin, staff)]
        if model_admin.search_fields:
            queries.append("?q=python")
        for query in queries:
            assert client.get(page + query).status_code == 200, page + query


def test_the_request_list_finds_requests_by_their_experts_email_or_name(staff):
    grace = ExpertFactory.create(name="Grace Hopper", email="grace@example.com")
    hers = ActiveRequestFactory.create(title="Hers", expert=grace)
    ActiveRequestFactory.create(title="Someone else's")
    client = Client()
    client.force_login(staff)

    for query in ("grace@example.com", "Hopper"):
        page = client.get("/admin/support/supportrequest/", {"q": query})
        assert list(page.context["cl"].result_list) == [hers]


def test_large_lists_have_no_filter_that_lists_every_expert_or_scans_every_date():
    for model_admin in admin.site._registry.values():
        assert not model_admin.date_hierarchy, model_admin
    request_admin = admin.site._registry[SupportRequest]
    assert list(request_admin.list_filter) == ["status", "skill"]
    assert request_admin.show_full_result_count is False


def test_a_long_conversation_shows_its_latest_messages_in_a_few_queries(
    staff, django_assert_max_num_queries
):
    request = ActiveRequestFactory.create()
    for seq in range(1, 121):
        MessageFactory.create(request=request, seq=seq, sender=request.requester)
    SupportRequest.objects.filter(pk=request.pk).update(last_seq=120)
    client = Client()
    client.force_login(staff)
    page = f"/admin/support/supportrequest/{request.pk}/change/"
    client.get(page)  # the session and the content types warm up outside the count

    with django_assert_max_num_queries(25):
        response = client.get(page)

    assert response.status_code == 200
    shown = response.context["inline_admin_formsets"]
    messages = next(f for f in shown if f.opts.model._meta.model_name == "message")
    assert [form.original.seq for form in messages] == list(range(71, 121))
    assert b"120 message(s); the latest 50 are below" in response.content
