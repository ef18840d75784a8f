"""The back office's ticket search (issue 19): each thing staff type, through an index.

An RMA number, an order number, an e-mail address, a serial or a tracking number is
found exactly; a customer's name or a product's name (three characters or more) as free
text. See `core.search` for why these are separate queries.
"""

from __future__ import annotations

from django.db.models import QuerySet

from core.search import NewestBy, exact_values, is_free_text, matching_pks, serial_q
from orders.models import Product
from orders.search import customers_named


def ticket_search(tickets: QuerySet, term: str) -> tuple[set[int], bool]:
    """The pks of `tickets` that `term` finds, and whether a free-text match had more."""
    term = term.strip()
    exact = exact_values(term)
    sources = [
        tickets.filter(number__in=exact),
        tickets.filter(order__number__in=exact),
        tickets.filter(tracking_number__in=exact),
        tickets.filter(serial_q("lines__serials", term)).distinct(),
    ]
    if "@" in term:
        sources.append(tickets.filter(order__customer__email__iexact=term))
    more_named = False
    if is_free_text(term):
        named, more_named = customers_named(term)
        sources.append(tickets.filter(order__customer__in=named))
        # Products are few (hundreds): find them first, then the tickets on their newest
        # order lines, walking the lines' (product, id) index newest first and stopping
        # at the limit; sorting every ticket of a popular product by its own pk would
        # grow with the shop.
        products = list(Product.objects.filter(name__icontains=term).values_list("pk", flat=True))
        if products:
            sources.append(
                NewestBy(
                    tickets.filter(lines__order_line__product__in=products),
                    "-lines__order_line_id",
                )
            )
    return matching_pks(sources, truncated=more_named)
