"""Round money to cents and split it without losing a cent.

All money is VAT-inclusive EUR as `Decimal`, rounded half-up to cents once, at the end of
a calculation (SPEC §1). `allocate` splits an amount already in cents over weights with the
largest-remainder method, so the parts always add up to the amount exactly: an order
discount over its lines (F1), a refund over the ways it was paid (F6).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(amount: Decimal) -> Decimal:
    """Round to whole cents, half up; a negative zero comes back as plain 0.00."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP) + ZERO


def format_amount(amount: Decimal) -> str:
    """Write an amount as the API does: two decimals, no exponent ("-12.34", "0.00")."""
    return str(to_cents(amount))


def plain_number(number: Decimal) -> str:
    """Write a rate or a count of hours as people do: 20, 6 or 1.5, without trailing zeros
    or an exponent (a policy stores 20.00 %)."""
    return format(number.normalize(), "f")


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `amount` (whole cents) pro rata over `weights`, parts summing exactly to it.

    Each part first gets the cents it is owed rounded down; the cents left over go one by
    one to the parts with the largest remainders, the earlier part first on a tie, so the
    result is deterministic. Exact fractions are used, never float.
    """
    if to_cents(amount) != amount:
        raise ValueError(f"{amount} is not a whole number of cents")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if amount < 0:
        return [-part for part in allocate(-amount, weights)]
    total_weight = sum((Fraction(w) for w in weights), Fraction(0))
    if total_weight == 0:
        if amount == 0:
            return [ZERO for _ in weights]
        raise ValueError("cannot allocate an amount over weights that are all zero")
    cents = int(amount / CENT)
    shares = [cents * Fraction(w) / total_weight for w in weights]
    parts = [math.floor(share) for share in shares]
    left_over = cents - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[:left_over]:
        parts[i] += 1
    return [Decimal(part) * CENT + ZERO for part in parts]
