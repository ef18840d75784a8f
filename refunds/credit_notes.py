"""F8: the credit note of a paid refund, numbered without gaps per year.

Issued in the transaction that marks the refund paid: its number comes from a
row-locked counter (django-sequences) in that same transaction, so a rolled-back payment
leaves no hole and two accountants paying at once never share a number. What it says is
copied from the refund's items when it is issued and never changes afterwards.
"""

from __future__ import annotations

from django.utils import timezone
from sequences import get_next_value

from core.money import format_amount
from refunds.models import CreditNote, Refund
from refunds.vat import vat_per_rate


def credit_note_number(year: int) -> str:
    return f"CN-{year}-{get_next_value(f'credit-note-{year}'):05d}"


def credit_note_issue(refund: Refund) -> CreditNote:
    """Issue the paid refund's credit note (the caller's transaction holds the refund)."""
    items = list(refund.items.order_by("position"))
    issued_at = timezone.now()
    return CreditNote.objects.create(
        number=credit_note_number(timezone.localdate(issued_at).year),
        refund=refund,
        issued_at=issued_at,
        total=refund.total,
        lines=[
            {
                "rule": item.rule,
                "description": item.description,
                "line_id": item.line_id,
                "vat_rate": None if item.vat_rate is None else format_amount(item.vat_rate),
                "amount": format_amount(item.amount),
            }
            for item in items
        ],
        vat=[row.as_dict() for row in vat_per_rate((i.vat_rate, i.amount) for i in items)],
    )
