"""Search that finds one thing fast on a table of a million rows (issue 19).

The admin's own search ORs `icontains` over every search field, joins included: no index
serves that, and a multi-valued join (a ticket's lines) adds a DISTINCT over every column.
Instead each kind of thing staff type (an RMA number, an order number, an e-mail address,
a serial, a tracking number, a name) is its own query that one index answers, and the
list shows the rows any of them found. Exact values are looked up exactly; free text
(three characters or more) goes through `icontains`, which PostgreSQL answers from the
trigram (pg_trgm) indexes of `core.pg.trigram_index` and SQLite by scanning: the same
rows either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q, QuerySet

# Rows taken from each way of matching; a term that matches more (a common surname)
# shows some of them (the most recent of a kind found by index) and says so.
SEARCH_LIMIT = 200
# Fewer characters than a trigram cannot use a trigram index.
FREE_TEXT_MIN = 3


@dataclass(frozen=True)
class NewestBy:
    """A source whose newest rows are told by another column than its pk, one that an
    index walks in that order (say a ticket's order lines by their own pk, newest first):
    the database stops at the limit instead of sorting every match. Rows may repeat
    (one per line); the pks found are a set."""

    queryset: QuerySet
    ordering: str


def matching_pks(
    sources: Iterable[QuerySet | NewestBy], *, truncated: bool = False
) -> tuple[set[int], bool]:
    """The primary keys each source finds (the newest `SEARCH_LIMIT` of each), and whether
    any source had more, or was built on only some of what it looks through
    (`truncated`: `SEARCH_LIMIT` of the customers with a name).

    A source that joins a multi-valued relation (a ticket's lines) says `.distinct()`
    itself, or is a `NewestBy`; the others must not: without DISTINCT the database can
    walk the pk index newest first and stop at the limit.
    """
    limit = SEARCH_LIMIT
    pks: set[int] = set()
    with _without_parallel_plans():
        for source in sources:
            if isinstance(source, NewestBy):
                ordered = source.queryset.order_by(source.ordering)
            else:
                ordered = source.order_by("-pk")
            found = list(ordered.values_list("pk", flat=True)[: limit + 1])
            truncated = truncated or len(found) > limit
            pks.update(found[:limit])
    return pks, truncated


@contextmanager
def _without_parallel_plans() -> Iterator[None]:
    """PostgreSQL plans the search's queries without parallel workers.

    Each reads a few hundred rows through indexes. But where the inner side of a join
    must visit every row it finds (the queue's conditions, on the tickets of the orders
    of the customers with a name), the planner priced a scan of the whole orders table,
    shared among workers, below the index: 40 ms instead of 9 at a million tickets, and
    both cores of a small server for one search. `SET LOCAL` ends with the transaction.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


def exact_values(term: str) -> list[str]:
    """The term as typed and in capitals: numbers and codes are stored in capitals, but
    staff type them either way. A list for `__in`, which a unique index answers."""
    return list(dict.fromkeys([term, term.upper()]))


def is_free_text(term: str) -> bool:
    return len(term) >= FREE_TEXT_MIN


def serial_q(field: str, term: str) -> Q:
    """The rows whose JSON list of serial numbers holds `term`.

    PostgreSQL: `@>` containment, answered by the column's GIN index (`jsonb_path_ops`).
    SQLite has no containment; the quoted value inside the list's text is the same match,
    ignoring case as the capitals above do.
    """
    if connection.vendor == "postgresql":
        q = Q()
        for value in exact_values(term):
            q |= Q(**{f"{field}__contains": [value]})
        return q
    return Q(**{f"{field}__icontains": json.dumps(term)})
