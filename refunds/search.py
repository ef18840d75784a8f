"""The back office's store-credit search (issue 19): each thing staff type, through an
index. See `core.search` for why these are separate queries."""

from __future__ import annotations

from django.db.models import QuerySet

from core.search import exact_values, is_free_text, matching_pks
from orders.search import customer_pks_named


def store_credit_search(entries: QuerySet, term: str) -> tuple[set[int], bool]:
    """The pks of `entries` that `term` finds, and whether a free-text match had more."""
    term = term.strip()
    exact = exact_values(term)
    sources = [
        entries.filter(ticket__number__in=exact),
        entries.filter(order__number__in=exact),
    ]
    if "@" in term:
        sources.append(entries.filter(customer__email__iexact=term))
    if is_free_text(term):
        sources.append(entries.filter(customer__in=customer_pks_named(term)))
    return matching_pks(sources)
