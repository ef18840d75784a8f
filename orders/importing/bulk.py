"""Update many rows of one table in one statement.

Django's `bulk_update` writes `SET column = CASE WHEN id = 1 THEN … WHEN id = 2 …` with
two parameters per row and column: building those expressions costs more Python time
than the import's own work, and the database's time grows with the square of the rows.
On PostgreSQL the rows go as one array per column instead, joined on the primary key
(`UPDATE … FROM UNNEST(…)`), the way Django's own `bulk_create` inserts them there.
Other databases (the embedded SQLite) keep `bulk_update`, in modest statements.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model

UPDATE_CHUNK = 100  # rows per statement of Django's bulk_update (its cost grows with the square)


def bulk_update(model: type[Model], rows: Sequence[Model], names: Sequence[str]) -> None:
    """Write the fields `names` of `rows` (which have pks) to the database."""
    if not rows or not names:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(rows, names, batch_size=UPDATE_CHUNK)
        return
    meta = model._meta
    concrete = {field.name: field for field in meta.concrete_fields}
    fields = [concrete[name] for name in names]
    for row in rows:  # a related row created in the same batch gives its pk now, as in
        # Django's bulk_update (a product that moved to a vendor new in this batch)
        row._prepare_related_fields_for_save(operation_name="bulk_update", fields=fields)  # type: ignore[attr-defined]
    pk = concrete[meta.pk.name] if meta.pk is not None else None
    assert pk is not None  # noqa: S101 - every model here has one
    columns = [pk, *fields]
    quote = connection.ops.quote_name
    # The array's element type without its modifiers (varchar, not varchar(200)), as
    # Django's bulk_create does: the column's own type checks the values.
    arrays = ", ".join(
        f"%s::{str(column.db_type(connection)).split('(')[0]}[]" for column in columns
    )
    aliases = ", ".join(f"c{index}" for index in range(len(columns)))
    table = quote(meta.db_table)
    assignments = ", ".join(
        f"{quote(field.column)} = v.c{index}" for index, field in enumerate(fields, start=1)
    )
    sql = (
        f"UPDATE {table} SET {assignments} FROM UNNEST({arrays}) AS v({aliases}) "  # noqa: S608 - names from the model
        f"WHERE {table}.{quote(pk.column)} = v.c0"
    )
    params = [
        [column.get_db_prep_save(getattr(row, column.attname), connection) for row in rows]
        for column in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
