"""Reads for accounts."""

from django.db.models import QuerySet

from accounts.models import Skill


def skills_all() -> QuerySet[Skill]:
    return Skill.objects.order_by("name")
