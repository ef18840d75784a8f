"""Plain facts about one order, as the pure rules read them.

The rules (`withdrawals/rules.py`, `rma/rules.py`, `refunds/calculator.py`) never see a
model: a selector copies an order and its customer, lines, shipments and payments into
these frozen dataclasses, one attribute per column, and the rules decide on those.
Times are already dates here (the selector converts `placed_at`, `shipped_at` and
`delivered_at` to the shop's day in Europe/Amsterdam); money is VAT-inclusive `Decimal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from core.money import ZERO, allocate, to_cents
from orders.enums import CustomerType, ProductFlag

# One definition of each vocabulary (`orders.enums`); the name the rules have always used.
Flag = ProductFlag


@dataclass(frozen=True)
class CustomerFacts:
    type: str = CustomerType.CONSUMER
    partner: bool = False
    country: str = "NL"

    @property
    def is_consumer(self) -> bool:
        return self.type == CustomerType.CONSUMER

    @property
    def is_partner(self) -> bool:
        """Tell whether P1 partner terms can apply: partners are business customers only."""
        return self.partner and not self.is_consumer


@dataclass(frozen=True)
class ShippingFacts:
    method: str = "standard"
    price: Decimal = Decimal("0.00")
    # The cheapest standard delivery at the time of the order; None = `price` was standard.
    standard_price: Decimal | None = None

    @property
    def standard(self) -> Decimal:
        return self.price if self.standard_price is None else self.standard_price


@dataclass(frozen=True)
class DiscountFacts:
    """An order-level discount, e.g. the 5% above EUR 1000 rule or a discount code."""

    code: str
    amount: Decimal


@dataclass(frozen=True)
class PaymentFacts:
    method: str
    amount: Decimal


@dataclass(frozen=True)
class LineFacts:
    id: str
    sku: str
    quantity: int
    unit_price: Decimal  # paid per unit, VAT included, before order-level discounts
    vat_rate: Decimal = Decimal("21")
    flags: frozenset[str] = frozenset()
    promotion: bool = False
    serials: tuple[str, ...] = ()
    activated_at: date | None = None
    warranty_months: int = 24  # V4: the vendor's default warranty
    warranty_override_months: int | None = None  # V4: the product's own, if any
    expected_lifetime_months: int | None = None  # R14: the product's, if the shop set one
    vendor_doa_days: int = 0  # R5: the vendor's DOA window; 0 = the vendor has none
    held_by_other_tickets: int = 0  # units already in another open RMA ticket
    name: str = ""

    def has(self, flag: str) -> bool:
        return flag in self.flags

    @property
    def paid(self) -> Decimal:
        """Return what the customer paid for the whole line, before order-level discounts."""
        return self.quantity * self.unit_price

    @property
    def warranty_period_months(self) -> int:
        """V4: the product's override wins over the vendor's default."""
        if self.warranty_override_months is not None:
            return self.warranty_override_months
        return self.warranty_months

    @property
    def is_goods(self) -> bool:
        """Tell whether the line is shipped at all.

        Digital content and gift vouchers (an e-mailed code, article 14.1) are never in
        a shipment (Appendix A), so they neither start nor hold up W1's delivery-based period.
        """
        return not (self.has(Flag.DIGITAL) or self.has(Flag.GIFT_VOUCHER))

    def activation_began(self, on: date) -> bool:
        return self.activated_at is not None and self.activated_at <= on


@dataclass(frozen=True)
class ShipmentFacts:
    shipped_at: date
    delivered_at: date | None
    lines: Mapping[str, int] = field(default_factory=dict)  # {line id: quantity}


@dataclass(frozen=True)
class UnitDelivery:
    """One unit of a line: its serial (if known) and when it shipped and arrived."""

    serial: str | None
    shipped_at: date | None
    delivered_at: date | None


@dataclass(frozen=True)
class OrderFacts:
    number: str
    customer: CustomerFacts
    placed_at: date
    lines: tuple[LineFacts, ...]
    invoiced_on: date | None = None
    shipping: ShippingFacts = ShippingFacts()
    discounts: tuple[DiscountFacts, ...] = ()
    payments: tuple[PaymentFacts, ...] = ()
    shipments: tuple[ShipmentFacts, ...] = ()

    def line(self, line_id: str) -> LineFacts:
        try:
            return self._lines_by_id[line_id]
        except KeyError:
            raise KeyError(line_id) from None

    # The rules ask one order the same questions many times over: every reason of every line
    # wants its units' delivery days, and W1 wants the last delivery for each of them. The
    # facts are frozen, so each answer is worked out once per order (and day) and kept here.
    # cached_property writes to the instance's __dict__, which a frozen dataclass allows;
    # equality, hashing, repr and dataclasses.replace() see the fields only.

    @cached_property
    def _lines_by_id(self) -> dict[str, LineFacts]:
        lines: dict[str, LineFacts] = {}
        for line in self.lines:
            lines.setdefault(line.id, line)  # the first of equal ids, as a scan would find
        return lines

    @cached_property
    def _shipments_in_order(self) -> tuple[ShipmentFacts, ...]:
        return tuple(
            sorted(self.shipments, key=lambda s: (s.shipped_at, s.delivered_at or date.max))
        )

    @cached_property
    def _units_known(self) -> dict[tuple[str, date], tuple[UnitDelivery, ...]]:
        return {}

    @cached_property
    def _last_delivery_known(self) -> dict[date, date | None]:
        return {}

    @property
    def discount_total(self) -> Decimal:
        return sum((d.amount for d in self.discounts), Decimal("0"))

    @cached_property
    def discount_shares(self) -> dict[str, Decimal]:
        """F1: the order-level discounts over all lines pro rata by paid amount, per line id.

        Largest remainder, so the shares add up to the discount to the cent. A line's share
        is spread over its units only when its units' net is formed (the refund calculator,
        the F4 cap), never rounded per unit on its own.
        """
        total = to_cents(self.discount_total)
        paid = [line.paid for line in self.lines]
        # Lines that cost nothing (a free item with a free-shipping code) carry no share.
        shares = allocate(total, paid) if total and any(paid) else None
        return {line.id: shares[i] if shares else ZERO for i, line in enumerate(self.lines)}

    def units(self, line_id: str, on: date) -> tuple[UnitDelivery, ...]:
        """Return every unit of a line with its shipment dates as known on `on`.

        V4 needs the delivery date of the unit being returned: serials are handed out in
        shipment order, the first serials to the earliest shipment. A shipment shipped or
        delivered after `on` has not happened yet on that day, so the rules can be asked
        about any day, past or future, and agree with what was known then.
        """
        known = self._units_known
        if (line_id, on) not in known:
            known[line_id, on] = self._units(line_id, on)
        return known[line_id, on]

    def _units(self, line_id: str, on: date) -> tuple[UnitDelivery, ...]:
        line = self.line(line_id)
        dates: list[tuple[date | None, date | None]] = []
        for shipment in self._shipments_in_order:
            shipped = shipment.shipped_at if shipment.shipped_at <= on else None
            delivered = shipment.delivered_at
            if shipped is None or delivered is None or delivered > on:
                delivered = None
            dates.extend([(shipped, delivered)] * shipment.lines.get(line_id, 0))
        dates = dates[: line.quantity]
        dates.extend([(None, None)] * (line.quantity - len(dates)))
        serials: list[str | None] = list(line.serials[: line.quantity])
        serials.extend([None] * (line.quantity - len(serials)))
        return tuple(
            UnitDelivery(serial=serial, shipped_at=shipped, delivered_at=delivered)
            for serial, (shipped, delivered) in zip(serials, dates, strict=True)
        )

    def delivered_quantity(self, line_id: str, on: date) -> int:
        return sum(1 for unit in self.units(line_id, on) if unit.delivered_at is not None)

    def unshipped_quantity(self, line_id: str, on: date) -> int:
        return sum(1 for unit in self.units(line_id, on) if unit.shipped_at is None)

    def last_delivery(self, on: date) -> date | None:
        """Return the day the order's goods were all delivered, or None while some are not.

        W1: with several products in one order, or one product in several shipments, the
        cooling-off period starts the day after the last delivery.
        """
        known = self._last_delivery_known
        if on not in known:
            known[on] = self._last_delivery(on)
        return known[on]

    def _last_delivery(self, on: date) -> date | None:
        days: list[date] = []
        for line in self.lines:
            if not line.is_goods:
                continue
            for unit in self.units(line.id, on):
                if unit.delivered_at is None:
                    return None
                days.append(unit.delivered_at)
        return max(days, default=None)
