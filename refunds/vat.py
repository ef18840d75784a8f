"""VAT per rate of a refund, as its credit note states it (F8).

Pure. Amounts are VAT-inclusive (SPEC §1). Items with a rate (goods at their line's
rate, delivery at the order's highest) count at it; items without one (the F2, F3 and
P1 fees, a percentage of the goods) are spread over the goods' rates in proportion to
their amounts, so a fee on 21% goods lowers the 21% base. Per rate the VAT is rounded
half-up once; the gross amounts add up to the refund's total to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.money import ZERO, allocate, format_amount, to_cents

HUNDRED = Decimal("100")


@dataclass(frozen=True)
class VatRow:
    rate: Decimal
    gross: Decimal  # incl. VAT
    vat: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.vat

    def as_dict(self) -> dict[str, str]:
        return {
            "rate": format_amount(self.rate),
            "gross": format_amount(self.gross),
            "vat": format_amount(self.vat),
            "net": format_amount(self.net),
        }


def vat_per_rate(items: Iterable[tuple[Decimal | None, Decimal]]) -> list[VatRow]:
    """[(rate or None, amount)] → one row per rate, highest rate first."""
    gross: dict[Decimal, Decimal] = {}
    spread = ZERO
    for rate, amount in items:
        if rate is None:
            spread += amount
        else:
            gross[rate] = gross.get(rate, ZERO) + amount
    if spread:
        rates = sorted(gross, reverse=True) or [ZERO]
        weights = [max(gross.get(rate, ZERO), ZERO) for rate in rates]
        if not any(weights):
            weights = [Decimal(1)] + [ZERO] * (len(rates) - 1)
        for rate, share in zip(rates, allocate(spread, weights), strict=True):
            gross[rate] = gross.get(rate, ZERO) + share
    return [
        VatRow(rate=rate, gross=amount, vat=to_cents(amount * rate / (HUNDRED + rate)))
        for rate, amount in sorted(gross.items(), reverse=True)
        if amount
    ]
