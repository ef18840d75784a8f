"""A read query that a hot path runs with new values many times a second, compiled to SQL
once per database connection instead of on every call (issue 19).

Building and compiling a queryset costs Django a few tenths of a millisecond of Python,
more than PostgreSQL takes to answer a lookup by a unique key. `Prepared` builds the
queryset once with *placeholders* for the values that change (an order number, a row id),
keeps the compiled SQL and the column converters, and each call sends that SQL with the
placeholders swapped for the real values. The rows are exactly those of
`list(queryset)`: the same SQL, converted the same way (a JSON column parsed, a SQLite
decimal made `Decimal`), through the same cursor (so query counts and logs see them).

Only `values_list()` querysets (tuples out, no model instances), and a placeholder must
reach the SQL as a parameter unchanged: a value compared with a column, not one a
lookup rewrites (`__icontains` wraps its value in `%`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable


class Prepared:
    """`Prepared(build, *placeholders)`; `.rows(*values)` runs `build(*values)`'s query.

    `build` takes as many arguments as there are placeholders and returns a
    `values_list()` queryset; each placeholder is a value of the right type that no
    other parameter of the query equals (say `"\\x00number"` or `-7_000_001`).
    """

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], *placeholders: object) -> None:
        self._build = build
        self._placeholders = placeholders
        # Compiled per connection: a connection belongs to one thread, and its compiler
        # holds the connection the converters are given.
        self._local = threading.local()

    def _compiled(self, alias: str) -> tuple[Any, str, list[object], list[int | None]]:
        connection = connections[alias]
        compiled: dict[int, tuple[Any, ...]] = self._local.__dict__.setdefault("by_alias", {})
        known = compiled.get(id(connection))
        if known is not None and known[0] is connection:
            return known[1:]
        queryset = self._build(*self._placeholders)
        if queryset._iterable_class is not ValuesListIterable:
            raise TypeError("Prepared runs values_list() querysets only")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots: list[int | None] = []
        for param in params:
            slots.append(
                next(
                    (
                        n
                        for n, placeholder in enumerate(self._placeholders)
                        if type(param) is type(placeholder) and param == placeholder
                    ),
                    None,
                )
            )
        missing = set(range(len(self._placeholders))) - set(slots)
        if missing:
            raise ValueError(f"placeholders not passed to the SQL as they are: {sorted(missing)}")
        entry = (compiler, sql, list(params), slots)
        compiled[id(connection)] = (connection, *entry)
        return entry

    def rows(self, *values: object, using: str = "default") -> list[tuple[Any, ...]]:
        """The rows of the query with `values` in the placeholders' places."""
        compiler, sql, params, slots = self._compiled(using)
        bound: Sequence[object] = [
            param if slot is None else values[slot]
            for param, slot in zip(params, slots, strict=True)
        ]
        with compiler.connection.cursor() as cursor:
            cursor.execute(sql, bound)
            fetched = cursor.fetchall()
        return list(compiler.results_iter(results=[fetched], tuple_expected=True))
