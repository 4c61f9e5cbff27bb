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
    UserFactory,
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


def test_the_request_lists_expert_filter_offers_experts_only(staff):
    ActiveRequestFactory.create()
    UserFactory.create(name="Just A Customer")
    model_admin = admin.site._registry[SupportRequest]
    request = RequestFactory().get("/")
    request.user = staff
    changelist = model_admin.get_changelist_instance(request)
    filters, *_ = changelist.get_filters(request)
    expert_filter = next(
        f
        for f in filters
        if isinstance(f, admin.RelatedFieldListFilter) and f.field_path == "expert"
    )

    offered = {pk for pk, _ in expert_filter.lookup_choices}

    assert offered
    assert offered <= set(User.objects.experts().values_list("pk", flat=True))
