# ExpertProfile moves here from accounts: the model is adopted with its table as it is, then the
# table (and its skills table) are renamed to this app's names. No row is copied or lost.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.contenttypes import move_content_type


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_move_expert_profile_and_presence_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("support", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExpertProfile",
                    fields=[
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="expert_profile",
                                serialize=False,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        ("bio", models.TextField(blank=True, max_length=2000)),
                        ("is_available", models.BooleanField(default=True)),
                        ("max_active_requests", models.PositiveSmallIntegerField(default=1)),
                        ("rating_sum", models.PositiveIntegerField(default=0)),
                        ("rating_count", models.PositiveIntegerField(default=0)),
                        (
                            "rating_avg",
                            models.DecimalField(decimal_places=2, default=0, max_digits=3),
                        ),
                        ("last_assigned_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "skills",
                            models.ManyToManyField(
                                blank=True, related_name="experts", to="accounts.skill"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_expertprofile",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("max_active_requests__gte", 1)),
                                name="expert_capacity_positive",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("rating_avg__gte", 0), ("rating_avg__lte", 5)),
                                name="expert_rating_avg_range",
                            ),
                        ],
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="expertprofile", table=None),
        migrations.RunPython(
            *move_content_type(model="expertprofile", old_app="accounts", new_app="support")
        ),
    ]
