"""Write validated orders a batch at a time: plan every order in Python, then write the
batch's rows in bulk, in one transaction.

An order the plan refuses is left out of the write. Should the database still refuse
the batch (a constraint, a ticket opened meanwhile, another import of the same orders),
its transaction is rolled back and each of its orders is written alone, in its own
transaction, so that only the order at fault is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.db import DataError, IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.importing.bulk import bulk_update
from orders.importing.messages import DATABASE_CONCURRENT, DATABASE_HELD, DATABASE_REFUSED
from orders.importing.planning import _OrderPlan, _OrderRefused, _Planner
from orders.importing.results import OrderError
from orders.importing.shared import _SharedRows
from orders.importing.stored import _lock_lines, _Stored, _stored_orders
from orders.importing.values import OrderData
from orders.models import Discount, Order, OrderLine, Payment, Shipment, ShipmentLine

logger = logging.getLogger(__package__)  # "orders.importing", as before the split

Outcome = str | OrderError  # "created", "updated", "unchanged", or why it was refused


class _Stale(Exception):
    """What a batch was planned from changed before its transaction locked it."""


# What the database may refuse of a batch. UnicodeEncodeError: a text the parsing let
# through that the driver cannot send.
_REFUSALS = (IntegrityError, DataError, ProtectedError, UnicodeEncodeError)


def _database_message(exc: Exception) -> str:
    text = str(exc)
    if "order_line_held_within_delivered" in text:
        return _(DATABASE_HELD)
    if isinstance(exc, IntegrityError) and ("unique" in text.lower() or "duplicate" in text):
        return _(DATABASE_CONCURRENT)
    return _(DATABASE_REFUSED).format(detail=text.strip().splitlines()[0][:200])


def _columns(names: Iterable[str]) -> list[str]:
    """Field names for bulk_update (`customer_id` is the field `customer`)."""
    return sorted({name.removesuffix("_id") for name in names})


class _Writer:
    """Write the validated orders of one import, keeping the shared rows in memory."""

    def __init__(self, orders: Sequence[OrderData]) -> None:
        self.shared = _SharedRows(orders)
        self.planner = _Planner(self.shared)

    def write_batch(self, orders: Sequence[OrderData]) -> dict[str, Outcome]:
        """Import a batch of orders (distinct numbers); the outcome of each, by number.

        Planned from what is stored without locks, so a re-import that changes nothing
        writes and locks nothing; the orders to update are locked and checked just
        before the write.
        """
        stored = _stored_orders([order.number for order in orders])
        outcomes, plans = self._plan(orders, stored)
        if not plans:
            self.shared.keep_batch()
            return outcomes
        try:
            with transaction.atomic():
                _lock_as_planned(plans, stored)
                self._write(plans)
        except (*_REFUSALS, _Stale) as exc:
            self.shared.forget_batch()
            logger.info("A batch of %d orders is written order by order: %s", len(orders), exc)
            return {order.number: self.write_alone(order) for order in orders}
        self.shared.keep_batch()
        return outcomes

    def write_alone(self, order: OrderData) -> Outcome:
        """Import one order in its own transaction, planned from its locked rows."""
        try:
            with transaction.atomic():
                stored = _stored_orders([order.number], lock=True)
                outcomes, plans = self._plan([order], stored)
                if plans:
                    self._write(plans)
        except _REFUSALS as exc:
            self.shared.forget_batch()
            logger.warning("Order %s refused by the database: %s", order.number, exc)
            return OrderError(order.number, "", _database_message(exc))
        self.shared.keep_batch()
        return outcomes[order.number]

    # Planning.

    def _plan(
        self, orders: Sequence[OrderData], stored: dict[str, _Stored]
    ) -> tuple[dict[str, Outcome], list[_OrderPlan]]:
        """Plan each order; a refused one is left out, with nothing of it staged."""
        on_ticket = _gone_lines_on_tickets(orders, stored)
        outcomes: dict[str, Outcome] = {}
        plans = []
        for order in orders:
            try:
                plan = self.planner.plan(order, stored.get(order.number), on_ticket)
            except _OrderRefused as exc:
                self.shared.forget_order()
                outcomes[order.number] = OrderError(order.number, exc.field, exc.message)
                continue
            self.shared.keep_order()
            outcomes[order.number] = plan.outcome
            if plan.outcome != "unchanged":
                plans.append(plan)
        return outcomes, plans

    # Writing: a few statements per batch, whatever its number of orders.

    def _write(self, plans: list[_OrderPlan]) -> None:
        self.shared.write_batch()
        self._write_orders(plans)
        self._delete_replaced(plans)
        self._update_lines(plans)
        self._create_children(plans)

    def _write_orders(self, plans: list[_OrderPlan]) -> None:
        for plan in plans:  # a customer created in this batch has its pk only now
            plan.order.customer_id = self.shared.get(plan.customer_key).pk
        Order.objects.bulk_create([plan.order for plan in plans if plan.outcome == "created"])
        updated = [plan for plan in plans if plan.outcome == "updated"]
        now = timezone.now()
        for plan in updated:  # marks it as updated by this import; bulk_update skips auto_now
            plan.order.updated_at = now
        columns = _columns(
            ["updated_at", *(name for plan in updated for name in plan.order_columns)]
        )
        bulk_update(Order, [plan.order for plan in updated], columns)

    def _delete_replaced(self, plans: list[_OrderPlan]) -> None:
        """Remove the lines no longer in an order, and the children replaced as a whole."""
        replaced = {
            name: [plan.order.pk for plan in plans if name in plan.delete]
            for name in ("shipments", "discounts", "payments")
        }
        if replaced["shipments"]:
            # Their lines first, in one statement (they name the order lines); then the
            # shipments, which nothing else names: one statement too, where Django's
            # cascading delete would read them and remove them a hundred at a time.
            ShipmentLine.objects.filter(shipment__order_id__in=replaced["shipments"]).delete()
            shipments = Shipment.objects.filter(order_id__in=replaced["shipments"])
            shipments._raw_delete(shipments.db)
        gone = [pk for plan in plans for pk in plan.gone_lines]
        if gone:  # through Django's delete: a line on a return ticket is protected
            OrderLine.objects.filter(pk__in=gone).delete()
        if replaced["discounts"]:
            Discount.objects.filter(order_id__in=replaced["discounts"]).delete()
        if replaced["payments"]:
            Payment.objects.filter(order_id__in=replaced["payments"]).delete()

    def _set_products(self, lines: Iterable[tuple[OrderLine, str]]) -> list[OrderLine]:
        """The lines, each naming its product's pk (a product new in this batch has one now)."""
        rows = []
        for row, sku in lines:
            row.product_id = self.shared.get(("product", sku)).pk
            rows.append(row)
        return rows

    def _update_lines(self, plans: list[_OrderPlan]) -> None:
        rows = self._set_products(line for plan in plans for line in plan.changed_lines)
        columns = _columns(name for plan in plans for name in plan.line_columns)
        bulk_update(OrderLine, rows, columns)

    def _create_children(self, plans: list[_OrderPlan]) -> None:
        """Create the batch's new lines, and the discounts, payments and shipments that
        are new or replace others."""
        OrderLine.objects.bulk_create(
            self._set_products(line for plan in plans for line in plan.new_lines)
        )
        Discount.objects.bulk_create(
            Discount(order=plan.order, code=code, amount=amount)
            for plan in plans
            if "discounts" in plan.create
            for code, amount in plan.data.discounts
        )
        Payment.objects.bulk_create(
            Payment(order=plan.order, method=method, amount=amount)
            for plan in plans
            if "payments" in plan.create
            for method, amount in plan.data.payments
        )
        shipments = [
            (
                Shipment(
                    order=plan.order,
                    shipped_at=shipment.shipped_at,
                    delivered_at=shipment.delivered_at,
                    carrier=shipment.carrier,
                    tracking=shipment.tracking,
                ),
                shipment.lines,
                plan.lines,
            )
            for plan in plans
            if "shipments" in plan.create
            for shipment in plan.data.shipments
        ]
        Shipment.objects.bulk_create(row for row, _shipped, _lines in shipments)
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=row, line=lines[line_id], quantity=quantity)
            for row, shipped, lines in shipments
            for line_id, quantity in shipped
        )


def _gone_lines_on_tickets(
    orders: Sequence[OrderData], stored: dict[str, _Stored]
) -> dict[int, str]:
    """The first return ticket naming each stored line that its order no longer has."""
    gone = []
    for order in orders:
        if order.number in stored:
            kept = {line.line_id for line in order.lines}
            gone += [
                row.pk for line_id, row in stored[order.number].lines.items() if line_id not in kept
            ]
    if not gone:
        return {}
    on_ticket: dict[int, str] = {}
    for pk, ticket in (
        OrderLine.objects.filter(pk__in=gone, ticket_lines__isnull=False)
        .order_by("pk", "ticket_lines__ticket__number")
        .values_list("pk", "ticket_lines__ticket__number")
    ):
        on_ticket.setdefault(pk, ticket)
    return on_ticket


def _lock_as_planned(plans: list[_OrderPlan], stored: dict[str, _Stored]) -> None:
    """Lock the orders to update and their lines; raise _Stale if they moved since read."""
    numbers = [plan.data.number for plan in plans if plan.outcome == "updated"]
    if not numbers:
        return
    locked = _lock_lines(numbers)
    if any(locked.get(number) != stored[number].seen for number in numbers):
        raise _Stale("an order or its lines changed while the batch was planned")
