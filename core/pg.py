"""PostgreSQL-only schema for the search indexes (issue 19); SQLite skips them.

Trigram indexes (pg_trgm, GIN) answer `icontains` — Django writes it as
`UPPER(column::text) LIKE UPPER('%term%')` — so they index `UPPER(column)`. JSON lists of
serial numbers get a GIN index for `@>` containment. Neither exists in SQLite, which
answers the same queries by scanning, so they are migration operations, not `Meta.indexes`.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


class PostgreSQLOnly(migrations.RunSQL):
    """`RunSQL` that runs on PostgreSQL and does nothing on any other database."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


TRIGRAM_EXTENSION = PostgreSQLOnly(
    "CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop
)


def trigram_index(table: str, column: str) -> PostgreSQLOnly:
    name = f"{table}_{column}_trgm"
    return PostgreSQLOnly(
        f"CREATE INDEX {name} ON {table} USING gin (UPPER({column}) gin_trgm_ops)",
        reverse_sql=f"DROP INDEX {name}",
    )


def json_list_index(table: str, column: str) -> PostgreSQLOnly:
    name = f"{table}_{column}_gin"
    return PostgreSQLOnly(
        f"CREATE INDEX {name} ON {table} USING gin ({column} jsonb_path_ops)",
        reverse_sql=f"DROP INDEX {name}",
    )
