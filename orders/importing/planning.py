"""Plan what importing one validated order writes, in Python, before anything is written.

An order is compared with what is stored of it (`stored`) and with the shared customers,
vendors and products in memory (`shared`); the plan holds the rows to create, the rows
to update with their changed columns, and the rows to remove. An order that would undo
a return in progress is refused here, so a batch never writes it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from orders.enums import Route
from orders.importing.messages import BELOW_HELD, LINE_ON_TICKET
from orders.importing.parsing import PRODUCT_FLAGS
from orders.importing.shared import Key, _set_changed, _SharedRows
from orders.importing.stored import _Stored
from orders.importing.values import LineData, OrderData
from orders.models import Customer, Order, OrderLine, Product, Vendor

CUSTOMER_FIELDS = ("name", "type", "partner", "language", "country", "company", "vat_number")
CHILDREN = ("discounts", "payments", "shipments")  # replaced as a whole when they differ


class _OrderRefused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class _OrderPlan:
    """What writing one order takes. `outcome`: "created", "updated" or "unchanged"."""

    data: OrderData
    outcome: str
    order: Order  # to create (no pk yet), to update, or as stored when unchanged
    order_columns: set[str] = field(default_factory=set)
    # Lines to create and lines to update, with their SKUs: a product created in the same
    # batch has its pk only once the batch writes it.
    new_lines: list[tuple[OrderLine, str]] = field(default_factory=list)
    changed_lines: list[tuple[OrderLine, str]] = field(default_factory=list)
    line_columns: set[str] = field(default_factory=set)
    gone_lines: list[int] = field(default_factory=list)  # pks of lines no longer in the order
    lines: dict[str, OrderLine] = field(default_factory=dict)  # every line, by line id
    delete: tuple[str, ...] = ()  # of CHILDREN, the stored ones to remove
    create: tuple[str, ...] = ()  # of CHILDREN, the ones to create from `data`

    @property
    def customer_key(self) -> Key:
        return customer_key(self.data)


def customer_key(data: OrderData) -> Key:
    return ("customer", data.customer.email.lower())


def line_values(line: LineData, product_pk: int | None, delivered: int) -> dict[str, Any]:
    return {
        "product_id": product_pk,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "vat_rate": line.vat_rate,
        "promotion": line.promotion,
        "serials": list(line.serials),
        "activated_at": line.activated_at,
        "delivered_quantity": delivered,
    }


class _Planner:
    """Plan orders one after another against the shared rows, which each plan stages."""

    def __init__(self, shared: _SharedRows) -> None:
        self.shared = shared

    def plan(
        self, data: OrderData, stored: _Stored | None, on_ticket: dict[int, str]
    ) -> _OrderPlan:
        """Plan one order; raise _OrderRefused when it may not be written.

        `on_ticket`: the ticket number of each stored line (by pk) that a return ticket
        names, of the lines the order no longer has.
        """
        shared_changed = self._customer(data)
        for line in data.lines:
            shared_changed = self._product(line, data) or shared_changed
        values = {
            "customer_id": self.shared.get(customer_key(data)).pk,
            "placed_at": data.placed_at,
            "invoiced_on": data.invoiced_on,
            "shipping_method": data.shipping_method,
            "shipping_price": data.shipping_price,
            "standard_shipping_price": data.standard_shipping_price,
        }
        if stored is None:
            return self._created(data, Order(number=data.number, **values))
        return self._updated(data, stored, values, shared_changed, on_ticket)

    # The shared rows: customers and products follow the most recently placed order.

    def _customer(self, data: OrderData) -> bool:
        """Stage the order's customer; True when this order creates or changes it."""
        key = customer_key(data)
        wanted = {name: getattr(data.customer, name) for name in CUSTOMER_FIELDS}
        if self.shared.get(key) is None:
            self.shared.create(key, Customer(email=data.customer.email, **wanted), data)
            return True
        if not self.shared.decides(key, data):
            return False
        return self.shared.update(key, wanted, data)[1]

    def _vendor(self, name: str) -> Vendor:
        key = ("vendor", name.lower())
        vendor = self.shared.get(key)
        if vendor is None:  # V1: a vendor the shop has not set up is routed via the shop
            vendor = Vendor(name=name, route=Route.VIA_SHOP)
            self.shared.create(key, vendor, None)
        return vendor

    def _product(self, line: LineData, data: OrderData) -> bool:
        """Stage a line's product; True when this order creates or changes it."""
        key = ("product", line.sku)
        if self.shared.set_by_order(key):
            return False  # an earlier line of this order already set it
        flags = {flag: flag in line.flags for flag in PRODUCT_FLAGS}
        if self.shared.get(key) is None:
            vendor = self._vendor(line.vendor)
            self.shared.create(
                key, Product(sku=line.sku, name=line.name, vendor=vendor, **flags), data
            )
            return True
        if not self.shared.decides(key, data):
            return False
        wanted = {"name": line.name, "vendor": self._vendor(line.vendor), **flags}
        return self.shared.update(key, wanted, data)[1]

    # The order and its children.

    def _created(self, data: OrderData, order: Order) -> _OrderPlan:
        plan = _OrderPlan(data, "created", order=order, create=CHILDREN)
        delivered = data.delivered()
        for line in data.lines:
            product = self.shared.get(("product", line.sku))
            row = OrderLine(
                order=order,
                line_id=line.line_id,
                **line_values(line, product.pk, delivered[line.line_id]),
            )
            plan.new_lines.append((row, line.sku))
            plan.lines[line.line_id] = row
        return plan

    def _updated(
        self,
        data: OrderData,
        stored: _Stored,
        values: dict[str, Any],
        shared_changed: bool,
        on_ticket: dict[int, str],
    ) -> _OrderPlan:
        order = stored.order
        plan = _OrderPlan(data, "updated", order=order)
        plan.order_columns = set(_set_changed(order, values))
        delivered = data.delivered()
        for line in data.lines:
            product = self.shared.get(("product", line.sku))
            wanted = line_values(line, product.pk, delivered[line.line_id])
            row = stored.lines.get(line.line_id)
            if row is None:
                row = OrderLine(order=order, line_id=line.line_id, **wanted)
                plan.new_lines.append((row, line.sku))
            else:
                changed = _set_changed(row, wanted)
                if changed:
                    plan.changed_lines.append((row, line.sku))
                    plan.line_columns.update(changed)
            plan.lines[line.line_id] = row
        wanted_ids = {line.line_id for line in data.lines}
        plan.gone_lines = [
            row.pk for line_id, row in stored.lines.items() if line_id not in wanted_ids
        ]
        plan.delete = plan.create = tuple(
            name for name in CHILDREN if getattr(stored, name) != Counter(getattr(data, name))
        )
        changes = (plan.order_columns, plan.new_lines, plan.changed_lines, plan.gone_lines)
        if not (shared_changed or plan.delete or any(changes)):
            return _OrderPlan(data, "unchanged", order=order)
        _refuse_undoing_returns(data, stored, delivered, plan.gone_lines, on_ticket)
        return plan


def _refuse_undoing_returns(
    data: OrderData,
    stored: _Stored,
    delivered: Counter[str],
    gone_lines: list[int],
    on_ticket: dict[int, str],
) -> None:
    """A re-import cannot take away what customers are already returning: refuse a line
    whose delivered quantity would drop below what tickets hold, or a line on a ticket
    that would vanish."""
    for index, line in enumerate(data.lines):
        row = stored.lines.get(line.line_id)
        if row is not None and row.held_quantity > delivered[line.line_id]:
            raise _OrderRefused(
                f"lines[{index}]",
                _(BELOW_HELD).format(
                    line=line.line_id, delivered=delivered[line.line_id], held=row.held_quantity
                ),
            )
    held = sorted(pk for pk in gone_lines if pk in on_ticket)
    if held:
        line_id = next(row.line_id for row in stored.lines.values() if row.pk == held[0])
        raise _OrderRefused(
            "lines", _(LINE_ON_TICKET).format(line=line_id, ticket=on_ticket[held[0]])
        )
