"""Read an order once, with everything the rules need, into plain facts.

Four queries, whatever the size of the order (issue 19: the rules API answers within ten
times a bare Django view): `order_for_rules` reads the order with its customer, which is
all it takes to tell who may see it; `order_facts` then reads its lines with their
products and vendors, its shipments with what each held, and its payments and discounts.
Shipments, payments and discounts are read as plain values: the facts are all the rules
see, and a model per row would cost more than the copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, Value

from core.calendar import local_day
from orders.facts import (
    CustomerFacts,
    DiscountFacts,
    LineFacts,
    OrderFacts,
    PaymentFacts,
    ShipmentFacts,
    ShippingFacts,
)
from orders.models import Discount, Order, OrderLine, Payment, Shipment


def order_for_rules(number: str) -> Order:
    """Fetch an order with its customer (one query); `order_facts` reads the rest."""
    return Order.objects.select_related("customer").get(number=number)


def order_facts(order: Order, *, held_by_ticket: dict[int, int] | None = None) -> OrderFacts:
    """Copy `order` with its lines, shipments, payments and discounts into the facts the
    rules read (three queries).

    `held_by_ticket` ({order line pk: quantity}) is the part of each line's held quantity
    that belongs to the ticket being decided, so it does not count against itself.
    """
    own = held_by_ticket or {}
    customer = order.customer

    def day(moment: datetime) -> date:
        # W1: the customer's own calendar day, in their country's time zone.
        return local_day(moment, customer.country)

    lines = OrderLine.objects.filter(order=order).select_related("product__vendor").order_by("pk")
    payments, discounts = _payments_and_discounts(order)
    return OrderFacts(
        number=order.number,
        customer=CustomerFacts(
            type=customer.type, partner=customer.partner, country=customer.country
        ),
        placed_at=day(order.placed_at),
        invoiced_on=order.invoiced_on,
        shipping=ShippingFacts(
            method=order.shipping_method,
            price=order.shipping_price,
            standard_price=order.standard_shipping_price,
        ),
        discounts=discounts,
        payments=payments,
        lines=tuple(
            LineFacts(
                id=line.line_id,
                sku=line.product.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                flags=line.product.flags,
                promotion=line.promotion,
                serials=tuple(line.serials),
                activated_at=day(line.activated_at) if line.activated_at else None,
                warranty_months=line.product.vendor.warranty_months,
                warranty_override_months=line.product.warranty_months,
                expected_lifetime_months=line.product.expected_lifetime_months,
                vendor_doa_days=line.product.vendor.doa_days,
                held_by_other_tickets=line.held_quantity - own.get(line.pk, 0),
            )
            for line in lines
        ),
        shipments=_shipments(order, day),
    )


def _shipments(order: Order, day: Callable[[datetime], date]) -> tuple[ShipmentFacts, ...]:
    """The order's shipments that have left, each with its quantity of each line: one row
    per shipment line, or one for a shipment without lines (an outer join)."""
    rows = (
        Shipment.objects.filter(order=order)
        .order_by("shipped_at", "pk", "lines__pk")  # the shipments' own order, as before
        .values_list("pk", "shipped_at", "delivered_at", "lines__line__line_id", "lines__quantity")
    )
    shipments: dict[int, tuple[datetime | None, datetime | None, dict[str, int]]] = {}
    for pk, shipped_at, delivered_at, line_id, quantity in rows:
        _shipped, _delivered, held = shipments.setdefault(pk, (shipped_at, delivered_at, {}))
        if line_id is not None:
            held[line_id] = quantity
    return tuple(
        facts
        for shipped_at, delivered_at, held in shipments.values()
        if (facts := _shipment_facts(shipped_at, delivered_at, held, day)) is not None
    )


def _shipment_facts(
    shipped_at: datetime | None,
    delivered_at: datetime | None,
    lines: dict[str, int],
    day: Callable[[datetime], date],
) -> ShipmentFacts | None:
    """Copy a shipment, or None when it has not left yet.

    The shipping time is optional in the import: a shipment delivered without one left
    by its delivery day; one with neither time is no fact yet (its units count as
    unshipped, as units in no shipment do).
    """
    left = shipped_at or delivered_at
    if left is None:
        return None
    return ShipmentFacts(
        shipped_at=day(left),
        delivered_at=day(delivered_at) if delivered_at else None,
        lines=lines,
    )


def _payments_and_discounts(
    order: Order,
) -> tuple[tuple[PaymentFacts, ...], tuple[DiscountFacts, ...]]:
    """The order's payments and discounts, each in the order they were imported: a few
    rows of the same shape (a name and an amount), so one query reads both."""
    payments = (
        Payment.objects.filter(order=order)
        .annotate(kind=Value("payment"), name=F("method"))
        .values_list("kind", "pk", "name", "amount")
    )
    discounts = (
        Discount.objects.filter(order=order)
        .annotate(kind=Value("discount"), name=F("code"))
        .values_list("kind", "pk", "name", "amount")
    )
    rows: Iterable[tuple[str, int, str, Decimal]] = payments.union(discounts, all=True).order_by(
        "kind", "pk"
    )
    paid, discounted = [], []
    for kind, _pk, name, amount in rows:
        if kind == "payment":
            paid.append(PaymentFacts(method=name, amount=amount))
        else:
            discounted.append(DiscountFacts(code=name, amount=amount))
    return tuple(paid), tuple(discounted)
