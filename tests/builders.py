"""Builders for the plain order facts (`orders.facts`) that the pure rule tests decide on.

The rules in `withdrawals/rules.py`, `rma/rules.py`, `refunds/calculator.py` and
`refunds/reports.py` never see a model, so their tests build `OrderFacts` directly rather
than through the database factories (`tests/factories.py`). Every builder takes keyword
arguments with defaults from Appendix A's world: order WS-100234 of a consumer, placed and
invoiced Thursday 1 October 2026, shipped Friday 2 October and delivered Saturday 3 October.
A test passes only what its case is about; money may be given as a string ("120.00").

    order(phone(quantity=2), customer=business(), delivered=None)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from orders.enums import CustomerType
from orders.facts import (
    CustomerFacts,
    DiscountFacts,
    Flag,
    LineFacts,
    OrderFacts,
    PaymentFacts,
    ShipmentFacts,
    ShippingFacts,
)

PLACED = date(2026, 10, 1)  # Thursday; invoiced the same day
SHIPPED = date(2026, 10, 2)  # Friday
DELIVERED = date(2026, 10, 3)  # Saturday

Money = str | Decimal


# --- customers -----------------------------------------------------------------------


def consumer() -> CustomerFacts:
    """A consumer in the Netherlands: withdrawal right and legal guarantee."""
    return CustomerFacts(type=CustomerType.CONSUMER)


def business() -> CustomerFacts:
    """A business customer that is no partner: no withdrawal, no legal guarantee."""
    return CustomerFacts(type=CustomerType.BUSINESS)


def partner() -> CustomerFacts:
    """A business customer on partner terms (P1 restocking)."""
    return CustomerFacts(type=CustomerType.BUSINESS, partner=True)


# --- lines ---------------------------------------------------------------------------


def line(
    id: str = "1",
    unit_price: Money = "100.00",
    quantity: int = 1,
    *,
    sku: str | None = None,
    **fields,
) -> LineFacts:
    """An order line of `quantity` × `unit_price` (VAT included), SKU-<id> unless `sku`.

    Any other `LineFacts` field (flags, serials, vendor_doa_days, …) passes through.
    """
    return LineFacts(
        id=id, sku=sku or f"SKU-{id}", quantity=quantity, unit_price=Decimal(unit_price), **fields
    )


def phone(id: str = "1", quantity: int = 1, **fields) -> LineFacts:
    """Grandstream GRP2614 desk phones at 120.00 each (Appendix A's line 1)."""
    return line(id, "120.00", quantity, sku="GS-GRP2614", **fields)


def nvr(id: str = "2", quantity: int = 1, **fields) -> LineFacts:
    """A Hikvision 8-channel NVR at 860.00 (Appendix A's line 2)."""
    return line(id, "860.00", quantity, sku="HK-NVR-8CH", **fields)


def licence(activated_at: date | None = None, **fields) -> LineFacts:
    """One 3CX licence key at 199.00: digital content, never shipped."""
    return line(
        "1",
        "199.00",
        sku="3CX-PRO-8",
        flags=frozenset({Flag.DIGITAL}),
        activated_at=activated_at,
        **fields,
    )


# --- delivery --------------------------------------------------------------------------


def shipping(
    method: str = "standard", price: Money = "0.00", standard: Money | None = None
) -> ShippingFacts:
    """What the customer paid for delivery; `standard` = the cheapest standard price then."""
    return ShippingFacts(method, Decimal(price), None if standard is None else Decimal(standard))


def shipment(
    lines: Mapping[str, int], *, shipped: date = SHIPPED, delivered: date | None = DELIVERED
) -> ShipmentFacts:
    """One parcel with `lines` ({line id: quantity}); `delivered=None` = still in transit."""
    return ShipmentFacts(shipped, delivered, dict(lines))


# --- orders --------------------------------------------------------------------------


def order(
    *lines: LineFacts,
    number: str = "WS-100234",
    customer: CustomerFacts | None = None,
    placed: date = PLACED,
    invoiced: date | None = PLACED,
    shipped: date | None = SHIPPED,
    delivered: date | None = DELIVERED,
    shipments: tuple[ShipmentFacts, ...] | None = None,
    shipping: ShippingFacts | None = None,
    discounts: Mapping[str, Money] | None = None,
    payments: Mapping[str, Money] | None = None,
    paid_by: str | None = None,
) -> OrderFacts:
    """An order of `lines` (one phone if none), by a consumer unless `customer` says.

    Delivery: one shipment of every goods line in full, shipped on `shipped` and delivered
    on `delivered` (None: still in transit); `shipped=None`: nothing has shipped yet.
    Explicit `shipments` replace that one parcel. Digital content and gift vouchers are
    never shipped. Delivery costs nothing unless `shipping` (see `shipping()`) says so.

    Money: `discounts` is {code: amount} and `payments` {method: amount}. The order has no
    payments unless given, or `paid_by` names the one method that paid the goods less the
    discounts (delivery not included).
    """
    lines = lines or (phone(),)
    if shipments is None:
        goods = {ln.id: ln.quantity for ln in lines if ln.is_goods}
        shipments = ()
        if shipped is not None and goods:
            shipments = (shipment(goods, shipped=shipped, delivered=delivered),)
    discount_facts = tuple(
        DiscountFacts(code, Decimal(amount)) for code, amount in (discounts or {}).items()
    )
    payments = dict(payments or {})
    if paid_by is not None:
        assert not payments, "give either payments or paid_by"
        payments[paid_by] = sum((ln.paid for ln in lines), Decimal("0")) - sum(
            (d.amount for d in discount_facts), Decimal("0")
        )
    return OrderFacts(
        number=number,
        customer=customer or consumer(),
        placed_at=placed,
        invoiced_on=invoiced,
        lines=tuple(lines),
        shipping=shipping or ShippingFacts(),
        discounts=discount_facts,
        payments=tuple(
            PaymentFacts(method, Decimal(amount)) for method, amount in payments.items()
        ),
        shipments=tuple(shipments),
    )


# --- quantities ----------------------------------------------------------------------


def splits(quantity: int) -> list[tuple[int, ...]]:
    """Every way to return `quantity` units in parts, in order: 3 → (3), (2, 1), (1, 2),
    (1, 1, 1). There are 2^(quantity-1) of them."""
    if quantity == 0:
        return [()]
    return [(first, *rest) for first in range(quantity, 0, -1) for rest in splits(quantity - first)]
