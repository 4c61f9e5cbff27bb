"""Requests answered before the first response was recorded on the request get it from their
messages: the first one anyone but the requester wrote."""

from django.db import migrations


def first_responses_from_history(apps, schema_editor):
    requests = apps.get_model("support", "SupportRequest")._meta.db_table
    messages = apps.get_model("chat", "Message")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            # One pass over the messages, not two lookups per request.
            cursor.execute(
                f"UPDATE {requests} r SET first_response_at = f.created_at, "
                "first_responder_id = f.sender_id FROM ("
                f"SELECT DISTINCT ON (m.request_id) m.request_id, m.created_at, m.sender_id "
                f"FROM {messages} m JOIN {requests} q ON q.id = m.request_id "
                "WHERE m.sender_id <> q.requester_id ORDER BY m.request_id, m.seq"
                ") f WHERE r.id = f.request_id"
            )
            return
        first = (
            f"FROM {messages} m WHERE m.request_id = {requests}.id "
            f"AND m.sender_id <> {requests}.requester_id ORDER BY m.seq LIMIT 1"
        )
        cursor.execute(
            f"UPDATE {requests} SET first_response_at = (SELECT m.created_at {first}), "
            f"first_responder_id = (SELECT m.sender_id {first}) WHERE last_seq > 0"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0003_attachments"),
        ("support", "0006_first_response"),
    ]

    operations = [migrations.RunPython(first_responses_from_history, migrations.RunPython.noop)]
