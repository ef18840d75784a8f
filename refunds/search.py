"""The back office's searches of refunds, credit notes and the store-credit ledger
(issues 18, 19): each thing staff type, through an index. See `core.search` for why
these are separate queries."""

from __future__ import annotations

from django.db.models import QuerySet

from core.search import exact_values, is_free_text, matching_pks
from orders.search import customers_named


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
    more_named = False
    if is_free_text(term):
        named, more_named = customers_named(term)
        sources.append(entries.filter(customer__in=named))
    return matching_pks(sources, truncated=more_named)


def refund_search(refunds: QuerySet, term: str) -> tuple[set[int], bool]:
    """The refunds a refund, RMA or order number finds, each typed exactly: the unique
    index of each number answers it, then the refund's ticket foreign key."""
    exact = exact_values(term.strip())
    return matching_pks(
        [
            refunds.filter(number__in=exact),
            refunds.filter(ticket__number__in=exact),
            refunds.filter(ticket__order__number__in=exact),
        ]
    )


def credit_note_search(notes: QuerySet, term: str) -> tuple[set[int], bool]:
    """The credit notes a credit note, refund, RMA or order number finds, typed exactly."""
    exact = exact_values(term.strip())
    return matching_pks(
        [
            notes.filter(number__in=exact),
            notes.filter(refund__number__in=exact),
            notes.filter(refund__ticket__number__in=exact),
            notes.filter(refund__ticket__order__number__in=exact),
        ]
    )
