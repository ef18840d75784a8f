"""Read an order once, with everything the rules need, into plain facts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from django.db.models import Prefetch

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
from orders.models import Order, OrderLine, Shipment


def order_for_rules(number: str) -> Order:
    """Fetch an order with its customer, lines, products, vendors, shipments and payments
    in a fixed number of queries."""
    return (
        Order.objects.select_related("customer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("product__vendor").order_by("pk"),
            ),
            Prefetch("shipments", queryset=Shipment.objects.prefetch_related("lines__line")),
            "payments",
            "discounts",
        )
        .get(number=number)
    )


def order_facts(order: Order, *, held_by_ticket: dict[int, int] | None = None) -> OrderFacts:
    """Copy `order` into the facts the rules read.

    `held_by_ticket` ({order line pk: quantity}) is the part of each line's held quantity
    that belongs to the ticket being decided, so it does not count against itself.
    """
    own = held_by_ticket or {}
    customer = order.customer

    def day(moment: datetime) -> date:
        # W1: the customer's own calendar day, in their country's time zone.
        return local_day(moment, customer.country)

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
        discounts=tuple(DiscountFacts(code=d.code, amount=d.amount) for d in order.discounts.all()),
        payments=tuple(
            PaymentFacts(method=p.method, amount=p.amount) for p in order.payments.all()
        ),
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
            for line in order.lines.all()
        ),
        shipments=tuple(
            facts
            for facts in (_shipment_facts(s, day) for s in order.shipments.all())
            if facts is not None
        ),
    )


def _shipment_facts(shipment: Shipment, day: Callable[[datetime], date]) -> ShipmentFacts | None:
    """Copy a shipment, or None when it has not left yet.

    The shipping time is optional in the import: a shipment delivered without one left
    by its delivery day; one with neither time is no fact yet (its units count as
    unshipped, as units in no shipment do).
    """
    left = shipment.shipped_at or shipment.delivered_at
    if left is None:
        return None
    return ShipmentFacts(
        shipped_at=day(left),
        delivered_at=day(shipment.delivered_at) if shipment.delivered_at else None,
        lines={sl.line.line_id: sl.quantity for sl in shipment.lines.all()},
    )
