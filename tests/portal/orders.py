"""Orders a consumer can withdraw from on the tests' day (Monday 23 November 2026).

Placed Monday 16 November, delivered Wednesday 18 November 2026: the period's fourteenth
day is Wednesday 2 December, a working day, so that is the last day (W1, W2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from orders.models import OrderLine, Payment, Product, ShipmentLine
from tests.factories import (
    AMSTERDAM,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
)

PLACED = dt.datetime(2026, 11, 16, 10, 15, tzinfo=AMSTERDAM)
SHIPPED = dt.datetime(2026, 11, 17, 9, 0, tzinfo=AMSTERDAM)
DELIVERED = dt.datetime(2026, 11, 18, 14, 0, tzinfo=AMSTERDAM)
LAST_DAY = dt.date(2026, 12, 2)


@dataclass
class Item:
    name: str
    quantity: int = 1
    price: str = "120.00"
    flags: dict = field(default_factory=dict)  # product flags, e.g. {"custom": True}
    delivered: bool = True


PHONE = Item("Grandstream GRP2614 IP phone", 2, "120.00")
NVR = Item("Hikvision 8-channel NVR", 1, "860.00")


def order_of(customer, *items: Item, number: str | None = None, delivered_at=DELIVERED):
    """An order of `items` by `customer`; delivered items arrived on `delivered_at`."""
    items = items or (PHONE, NVR)
    fields = {"customer": customer, "placed_at": PLACED, "invoiced_on": PLACED.date()}
    if number:
        fields["number"] = number
    order = OrderFactory(**fields)
    shipment = None
    for index, item in enumerate(items, start=1):
        product = ProductFactory(name=item.name, sku=f"SKU-{order.number}-{index}")
        if item.flags:
            Product.objects.filter(pk=product.pk).update(**item.flags)
        line = OrderLineFactory(
            order=order,
            line_id=str(index),
            product=product,
            name=item.name,
            quantity=item.quantity,
            unit_price=Decimal(item.price),
            delivered_quantity=0,
        )
        if item.delivered and not item.flags.get("digital"):
            shipment = shipment or ShipmentFactory(
                order=order, shipped_at=SHIPPED, delivered_at=delivered_at
            )
            ShipmentLine.objects.create(shipment=shipment, line=line, quantity=item.quantity)
            if delivered_at is not None:
                OrderLine.objects.filter(pk=line.pk).update(delivered_quantity=item.quantity)
    Payment.objects.create(
        order=order,
        method="ideal",
        amount=sum(Decimal(i.price) * i.quantity for i in items) + order.shipping_price,
    )
    return order
