"""Migration operations that are safe on a live table.

`AddIndexOnline` builds an index with `CREATE INDEX CONCURRENTLY` on PostgreSQL, which does not
block writes to the table while it is built (a plain CREATE INDEX holds a lock that stops every
insert and update until it is done: on a table of millions of rows, minutes of refused messages).
Elsewhere (SQLite) it is a plain AddIndex. A migration using it must say `atomic = False`: a
concurrent build cannot run inside a transaction.
"""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex


class AddIndexOnline(AddIndex):
    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any):
        if schema_editor.connection.vendor == "postgresql":
            concurrently = AddIndexConcurrently(self.model_name, self.index)
            return concurrently.database_forwards(app_label, schema_editor, from_state, to_state)
        return super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ):
        if schema_editor.connection.vendor == "postgresql":
            concurrently = RemoveIndexConcurrently(self.model_name, self.index.name)
            return concurrently.database_forwards(app_label, schema_editor, from_state, to_state)
        return super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"{super().describe()} (concurrently on PostgreSQL)"
