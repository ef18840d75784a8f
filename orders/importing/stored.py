"""Read orders and their children as the database holds them, in comparable form."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from orders.importing.values import ShipmentData
from orders.models import Discount, Order, OrderLine, Payment, Shipment, ShipmentLine

# What an import's plan relies on that others may change: the order's updated_at and
# each line's (pk, delivered quantity, held quantity).
Seen = tuple[datetime, frozenset[tuple[int, int, int]]]


@dataclass
class _Stored:
    """An order with its children as the database holds them, in comparable form.

    Read for one batch: planning sets the order's and lines' new values on these rows.
    """

    order: Order
    lines: dict[str, OrderLine] = field(default_factory=dict)
    discounts: Counter[tuple[str, Decimal]] = field(default_factory=Counter)
    payments: Counter[tuple[str, Decimal]] = field(default_factory=Counter)
    shipments: Counter[ShipmentData] = field(default_factory=Counter)
    seen: Seen | None = None

    def remember_seen(self) -> None:
        self.seen = (
            self.order.updated_at,
            frozenset(
                (line.pk, line.delivered_quantity, line.held_quantity)
                for line in self.lines.values()
            ),
        )


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
    for pk, order_id, shipped_at, delivered_at, carrier, tracking in Shipment.objects.filter(
        order_id__in=found
    ).values_list("pk", "order_id", "shipped_at", "delivered_at", "carrier", "tracking"):
        found[order_id].shipments[
            ShipmentData(
                lines=tuple(sorted(shipped.get(pk, []))),
                shipped_at=shipped_at,
                delivered_at=delivered_at,
                carrier=carrier,
                tracking=tracking,
            )
        ] += 1
    for stored in found.values():
        stored.remember_seen()
    return {stored.order.number: stored for stored in found.values()}


def _lock_lines(numbers: Sequence[str]) -> dict[str, Seen]:
    """Lock the orders and their lines until the transaction ends; say what they hold.

    Ticket services lock the same line rows to change what tickets hold, and an import
    saves the order (updated_at) whenever it changes anything of it: an order whose
    `Seen` is as planned from can be written as planned.
    """
    found: dict[str, tuple[datetime, set[tuple[int, int, int]]]] = {}
    for number, updated_at, pk, delivered, held in (
        OrderLine.objects.select_for_update()
        .filter(order__number__in=numbers)
        .order_by("pk")  # the order ticket services lock lines in
        .values_list(
            "order__number", "order__updated_at", "pk", "delivered_quantity", "held_quantity"
        )
    ):
        found.setdefault(number, (updated_at, set()))[1].add((pk, delivered, held))
    return {number: (updated_at, frozenset(lines)) for number, (updated_at, lines) in found.items()}
