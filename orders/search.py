"""The back office's order search (issue 19): each thing staff type, through an index.

An order number, an e-mail address or a serial is found exactly; a customer's name
(three characters or more) as free text. See `core.search` for why these are separate
queries.
"""

from __future__ import annotations

from django.db.models import QuerySet

from core.search import exact_values, is_free_text, matching_pks, serial_q


def order_search(orders: QuerySet, term: str) -> tuple[set[int], bool]:
    """The pks of `orders` that `term` finds, and whether a free-text match had more."""
    term = term.strip()
    sources = [
        orders.filter(number__in=exact_values(term)),
        orders.filter(serial_q("lines__serials", term)).distinct(),
    ]
    if "@" in term:
        sources.append(orders.filter(customer__email__iexact=term))
    if is_free_text(term):
        sources.append(orders.filter(customer__name__icontains=term))
    return matching_pks(sources)
