"""The validated values of an order: plain, frozen, comparable."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class CustomerData:
    email: str
    name: str
    type: str
    partner: bool
    language: str
    country: str
    company: str
    vat_number: str


@dataclass(frozen=True)
class LineData:
    line_id: str
    sku: str
    name: str
    vendor: str
    quantity: int
    unit_price: Decimal
    vat_rate: Decimal
    flags: frozenset[str]
    promotion: bool
    serials: tuple[str, ...]
    activated_at: datetime | None


@dataclass(frozen=True)
class ShipmentData:
    lines: tuple[tuple[str, int], ...]  # (line id, quantity), sorted by line id
    shipped_at: datetime | None
    delivered_at: datetime | None
    carrier: str
    tracking: str


@dataclass(frozen=True)
class OrderData:
    number: str
    customer: CustomerData
    placed_at: datetime
    invoiced_on: date | None
    shipping_method: str
    shipping_price: Decimal
    standard_shipping_price: Decimal
    discounts: tuple[tuple[str, Decimal], ...]  # (code, amount)
    payments: tuple[tuple[str, Decimal], ...]  # (method, amount)
    lines: tuple[LineData, ...]
    shipments: tuple[ShipmentData, ...]

    @property
    def precedence(self) -> tuple[datetime, str]:
        """The later order decides a shared customer's or product's details."""
        return (self.placed_at, self.number)

    def delivered(self) -> Counter[str]:
        """Quantities per line id in shipments that arrived (a line never shipped: 0)."""
        delivered: Counter[str] = Counter()
        for shipment in self.shipments:
            if shipment.delivered_at is not None:
                for line_id, quantity in shipment.lines:
                    delivered[line_id] += quantity
        return delivered
