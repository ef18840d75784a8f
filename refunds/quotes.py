"""A refund quote as the calculator hands it out (F1, F5, F6): items with their rule ids,
how the total is paid back, what is charged, and Appendix B's JSON shape of it all."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.money import ZERO, format_amount
from core.periods import Sentence
from orders.enums import PaymentMethod

ORIGINAL_METHOD = "original"  # used when the order mirror has no payments recorded
ORIGINAL = _("The original payment method")


def method_label(method: str) -> Sentence:
    """F6: what the customer paid with, as the shop names it."""
    if method == ORIGINAL_METHOD:
        return ORIGINAL
    if method in PaymentMethod.values:
        return PaymentMethod(method).label
    return method


class QuoteError(ValueError):
    """Bad input a person can cause; `message` is the translatable sentence to show."""

    def __init__(self, message: Sentence) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class QuoteItem:
    rule: str
    description: Sentence
    amount: Decimal  # goods and refundable delivery positive, fees and deductions negative
    line: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "description": str(self.description),
            "amount": format_amount(self.amount),
            "line": self.line,
        }


@dataclass(frozen=True)
class MethodPart:
    method: str
    amount: Decimal

    def as_dict(self) -> dict[str, str]:
        return {"method": self.method, "amount": format_amount(self.amount)}


@dataclass(frozen=True)
class Charge:
    """F5: what the customer owes (an investigation), never a negative refund."""

    rule: str
    description: Sentence
    amount: Decimal

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "description": str(self.description),
            "amount": format_amount(self.amount),
        }


@dataclass(frozen=True)
class Quote:
    order: str
    reason: str
    items: tuple[QuoteItem, ...]
    methods: tuple[MethodPart, ...]  # F6: how the total is paid back; sums to total
    charges: tuple[Charge, ...] = ()
    store_credit_valid_months: int | None = None  # F7 / P1, when part is paid as store credit

    @property
    def total(self) -> Decimal:
        return sum((item.amount for item in self.items), ZERO)

    def as_dict(self) -> dict[str, Any]:
        """Return Appendix B's refund-quote shape, amounts as two-decimal strings."""
        return {
            "order": self.order,
            "reason": self.reason,
            "items": [item.as_dict() for item in self.items],
            "total": format_amount(self.total),
            "methods": [part.as_dict() for part in self.methods],
            "charges": [charge.as_dict() for charge in self.charges],
            "store_credit_valid_months": self.store_credit_valid_months,
        }
