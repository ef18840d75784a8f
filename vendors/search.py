"""The back office's vendor-case search (issue 19): each thing staff type, through an
index. See `core.search` for why these are separate queries."""

from __future__ import annotations

from django.db.models import QuerySet

from core.search import exact_values, is_free_text, matching_pks
from orders.models import Vendor


def vendor_case_search(cases: QuerySet, term: str) -> tuple[set[int], bool]:
    """The pks of `cases` that `term` finds, and whether a free-text match had more."""
    term = term.strip()
    exact = exact_values(term)
    sources = [
        cases.filter(ticket_line__ticket__number__in=exact),
        cases.filter(serial__in=exact),
        cases.filter(vendor_rma_number__in=exact),
        cases.filter(vendor_ticket_number__in=exact),
    ]
    if is_free_text(term):
        # Vendors are few: find them first, then their cases by index.
        vendors = Vendor.objects.filter(name__icontains=term).values("pk")
        sources.append(cases.filter(vendor__in=vendors))
    return matching_pks(sources)
