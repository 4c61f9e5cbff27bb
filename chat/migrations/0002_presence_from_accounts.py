# ServerProcess and SocketConnection (presence) move here from accounts: the models are adopted
# with their tables as they are, then the tables are renamed to this app's names. No row is
# copied or lost, so sockets open during the upgrade keep their users online.

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.contenttypes import move_content_type


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_move_expert_profile_and_presence_out"),
        ("chat", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ServerProcess",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        ("hostname", models.CharField(max_length=255)),
                        ("pid", models.PositiveIntegerField()),
                        ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "heartbeat_at",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now
                            ),
                        ),
                    ],
                    options={"db_table": "accounts_serverprocess"},
                ),
                migrations.CreateModel(
                    name="SocketConnection",
                    fields=[
                        (
                            "channel_name",
                            models.CharField(max_length=200, primary_key=True, serialize=False),
                        ),
                        (
                            "connected_at",
                            models.DateTimeField(default=django.utils.timezone.now),
                        ),
                        (
                            "process",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="sockets",
                                to="chat.serverprocess",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="socket_connections",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "accounts_socketconnection"},
                ),
            ],
        ),
        migrations.AlterModelTable(name="serverprocess", table=None),
        migrations.AlterModelTable(name="socketconnection", table=None),
        migrations.RunPython(
            *move_content_type(model="serverprocess", old_app="accounts", new_app="chat")
        ),
        migrations.RunPython(
            *move_content_type(model="socketconnection", old_app="accounts", new_app="chat")
        ),
    ]
