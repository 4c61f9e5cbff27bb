# ExpertProfile moved to support, ServerProcess and SocketConnection to chat. Only the migration
# state changes here; the tables and their rows stay, and support.0002 and chat.0002 adopt and
# rename them.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ExpertProfile"),
                migrations.DeleteModel(name="SocketConnection"),
                migrations.DeleteModel(name="ServerProcess"),
            ],
        ),
    ]
