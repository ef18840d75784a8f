"""How long a delivered unit is covered: the vendor's warranty (V4) and a consumer's legal
guarantee against the shop (R14), both counted from the unit's own delivery.

Pure: the order's facts, the policy's terms and the day go in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.periods import add_months
from orders.facts import LineFacts, OrderFacts
from policies.terms import Terms


@dataclass(frozen=True)
class Cover:
    """A warranty or legal guarantee: runs until `until`, inclusive; None if it never began."""

    until: date | None
    active: bool

    @classmethod
    def from_until(cls, until: date | None, on: date) -> Cover:
        # A cover ending today still covers today; one that ended yesterday does not.
        return cls(until=until, active=until is not None and on <= until)


def delivered_on(
    order: OrderFacts, line: LineFacts, on: date, serial: str | None = None
) -> date | None:
    """Return the delivery day the windows count from: the unit's (V4), else the line's last."""
    units = order.units(line.id, on)
    if serial is not None:
        units = tuple(u for u in units if u.serial == serial)
        if not units:
            raise KeyError(serial)
    return max((u.delivered_at for u in units if u.delivered_at is not None), default=None)


def warranty(order: OrderFacts, line: LineFacts, on: date, serial: str | None = None) -> Cover:
    """V4: the vendor's (or product's) warranty months from the unit's delivery."""
    delivered = delivered_on(order, line, on, serial)
    if delivered is None:
        return Cover(until=None, active=False)
    return Cover.from_until(add_months(delivered, line.warranty_period_months), on)


def legal_guarantee(
    order: OrderFacts, line: LineFacts, terms: Terms, on: date, serial: str | None = None
) -> Cover:
    """R14: a consumer's statutory conformity guarantee against the shop, from delivery,
    for the product's expected lifetime where the shop set one (BW 7:17), at least the
    policy's months."""
    delivered = delivered_on(order, line, on, serial)
    if delivered is None or not order.customer.is_consumer:
        return Cover(until=None, active=False)
    months = max(terms.legal_guarantee_months, line.expected_lifetime_months or 0)
    return Cover.from_until(add_months(delivered, months), on)
