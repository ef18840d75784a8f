"""The back office's order search (issue 19): each thing staff type, through an index.

An order number, an e-mail address or a serial is found exactly; a customer's name
(three characters or more) as free text. See `core.search` for why these are separate
queries.
"""

from __future__ import annotations

from django.db.models import QuerySet

from core.search import SEARCH_LIMIT, exact_values, is_free_text, matching_pks, serial_q
from orders.models import Customer


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
        sources.append(orders.filter(customer__in=customer_pks_named(term)))
    return matching_pks(sources)


def customer_pks_named(term: str) -> list[int]:
    """The customers whose name holds `term` (their trigram index), at most
    `SEARCH_LIMIT`. Found on their own first: given the list, the database looks their
    orders up by index; given the join, it misjudges how many match and scans orders."""
    customers = Customer.objects.filter(name__icontains=term).order_by()
    return list(customers.values_list("pk", flat=True)[:SEARCH_LIMIT])
