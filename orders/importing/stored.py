"""Read orders and their children as the database holds them, in comparable form."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from orders.importing.values import ShipmentData
from orders.models import Discount, Order, OrderLine, Payment, Shipment, ShipmentLine


@dataclass
class _Stored:
    """An order with its children as the database holds them, in comparable form."""

    order: Order
    lines: dict[str, OrderLine] = field(default_factory=dict)
    discounts: Counter[tuple[str, Decimal]] = field(default_factory=Counter)
    payments: Counter[tuple[str, Decimal]] = field(default_factory=Counter)
    shipments: Counter[ShipmentData] = field(default_factory=Counter)


def _stored_orders(numbers: Sequence[str], *, lock: bool = False) -> dict[str, _Stored]:
    """Read orders and their children in six queries, whatever their number.

    With `lock`, the order and line rows stay locked until the transaction ends, so the
    held quantities read here cannot change before the import writes (ticket services
    lock the same line rows).
    """
    orders = Order.objects.filter(number__in=numbers).order_by("pk")
    if lock:
        orders = orders.select_for_update()
    found = {order.pk: _Stored(order) for order in orders}
    if not found:
        return {}
    lines = OrderLine.objects.filter(order_id__in=found).order_by("pk")
    for line in lines.select_for_update() if lock else lines:
        found[line.order_id].lines[line.line_id] = line
    for order_id, code, amount in Discount.objects.filter(order_id__in=found).values_list(
        "order_id", "code", "amount"
    ):
        found[order_id].discounts[code, amount] += 1
    for order_id, method, amount in Payment.objects.filter(order_id__in=found).values_list(
        "order_id", "method", "amount"
    ):
        found[order_id].payments[method, amount] += 1
    shipped: dict[int, list[tuple[str, int]]] = {}
    for shipment_id, line_id, quantity in ShipmentLine.objects.filter(
        shipment__order_id__in=found
    ).values_list("shipment_id", "line__line_id", "quantity"):
        shipped.setdefault(shipment_id, []).append((line_id, quantity))
    for shipment in Shipment.objects.filter(order_id__in=found):
        found[shipment.order_id].shipments[
            ShipmentData(
                lines=tuple(sorted(shipped.get(shipment.pk, []))),
                shipped_at=shipment.shipped_at,
                delivered_at=shipment.delivered_at,
                carrier=shipment.carrier,
                tracking=shipment.tracking,
            )
        ] += 1
    return {stored.order.number: stored for stored in found.values()}


def _locked(number: str, seen: _Stored) -> _Stored | None:
    """Lock the order and its lines and read them again (held quantities move with tickets).

    Discounts, payments and shipments are written only by this import, which always
    saves the order (updated_at) when it changes them: if updated_at is as it was when
    `seen` was read, they are still as `seen` holds them.
    """
    lines = list(
        OrderLine.objects.select_for_update()
        .select_related("order")
        .filter(order__number=number)
        .order_by("pk")
    )
    if not lines or lines[0].order.updated_at != seen.order.updated_at:
        return _stored_orders([number], lock=True).get(number)
    return _Stored(
        order=lines[0].order,
        lines={line.line_id: line for line in lines},
        discounts=seen.discounts,
        payments=seen.payments,
        shipments=seen.shipments,
    )
