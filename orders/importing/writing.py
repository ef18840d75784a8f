"""Write one validated order: the per-order upsert inside the caller's transaction."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from orders.enums import ProductFlag, Route
from orders.importing.messages import BELOW_HELD, LINE_ON_TICKET
from orders.importing.stored import _locked, _Stored
from orders.importing.values import LineData, OrderData
from orders.models import (
    Customer,
    Discount,
    Order,
    OrderLine,
    Payment,
    Product,
    Shipment,
    ShipmentLine,
    Vendor,
)

_DB_CHUNK = 1000  # keys per IN (...) list; SQLite limits the number of parameters


class _OrderRefused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    keys = sorted(set(keys))
    for start in range(0, len(keys), _DB_CHUNK):
        yield keys[start : start + _DB_CHUNK]


_CUSTOMER_FIELDS = ("name", "type", "partner", "language", "country", "company", "vat_number")


def _newest_source(newest: QuerySet, prefix: str) -> dict[str, Subquery]:
    """Annotations for the (placed_at, number) of the first order in `newest`."""
    return {
        "source_placed": Subquery(newest.values(f"{prefix}placed_at")[:1]),
        "source_number": Subquery(newest.values(f"{prefix}number")[:1]),
    }


def _differing(instance: object, values: dict[str, object]) -> list[str]:
    """The names of the values that differ from the instance's."""
    return [name for name, value in values.items() if getattr(instance, name) != value]


def _set_changed(instance: object, values: dict[str, object]) -> list[str]:
    """Set the values that differ; return their names."""
    changed = _differing(instance, values)
    for name in changed:
        setattr(instance, name, values[name])
    return changed


class _Writer:
    """Write validated orders, keeping the shared customers, vendors and products in memory.

    What an order's transaction creates or changes is staged and kept only when the
    transaction commits, so a refused order leaves no trace in memory either.
    """

    def __init__(self, orders: Sequence[OrderData]) -> None:
        self.customers: dict[str, Customer] = {}
        self.vendors: dict[str, Vendor] = {}
        self.products: dict[str, Product] = {}
        # (placed_at, number) of the newest order that set each customer's/product's details
        self.source: dict[tuple[str, str], tuple[datetime, str]] = {}
        self._load(orders)
        self._staged: dict[tuple[str, str], object] = {}

    def _load(self, orders: Sequence[OrderData]) -> None:
        emails = {order.customer.email.lower() for order in orders}
        skus = {line.sku for order in orders for line in order.lines}
        vendors = {line.vendor.lower() for order in orders for line in order.lines}
        newest_order = Order.objects.filter(customer=OuterRef("pk")).order_by(
            "-placed_at", "-number"
        )
        for chunk in _chunks(emails):
            for customer in (
                Customer.objects.annotate(
                    email_lower=Lower("email"), **_newest_source(newest_order, "")
                )
                .filter(email_lower__in=chunk)
                .order_by("-pk")  # several differing only in case: the oldest wins
            ):
                self._remember("customer", customer.email_lower, customer, self.customers)
        for chunk in _chunks(vendors):
            for vendor in (
                Vendor.objects.annotate(name_lower=Lower("name"))
                .filter(name_lower__in=chunk)
                .order_by("-pk")
            ):
                self.vendors[vendor.name_lower] = vendor
        newest_line = OrderLine.objects.filter(product=OuterRef("pk")).order_by(
            "-order__placed_at", "-order__number"
        )
        for chunk in _chunks(skus):
            for product in Product.objects.filter(sku__in=chunk).annotate(
                **_newest_source(newest_line, "order__")
            ):
                self._remember("product", product.sku, product, self.products)

    def _remember(self, kind: str, key: str, row: Any, table: dict) -> None:
        """Keep a shared row in memory, and the newest order that mentions it, if any."""
        table[key] = row
        if row.source_placed is not None:
            self.source[kind, key] = (row.source_placed, row.source_number)

    # The memory of shared rows follows the transactions of the orders.

    def _stage(self, kind: str, key: str, instance: object, precedence) -> None:
        self._staged[kind, key] = (instance, precedence)

    def keep(self) -> None:
        tables = {"customer": self.customers, "vendor": self.vendors, "product": self.products}
        for (kind, key), (instance, precedence) in self._staged.items():
            tables[kind][key] = instance
            if precedence is not None:
                self.source[kind, key] = precedence
        self._staged = {}

    def forget(self) -> None:
        self._staged = {}

    def _current(self, kind: str, key: str, table: dict) -> Any:
        staged = self._staged.get((kind, key))
        return staged[0] if staged else table.get(key)

    def _decides(self, kind: str, key: str, order: OrderData) -> bool:
        """May this order set the details of a shared row? Only if none newer did."""
        staged = self._staged.get((kind, key))
        if staged and staged[1] is not None:
            return True
        source = self.source.get((kind, key))
        return source is None or order.precedence >= source

    # One order.

    def write(self, data: OrderData, stored: _Stored | None) -> str:
        """Create or update one order inside the caller's transaction; say which.

        `stored` is the order as read with its chunk of the file: when it shows nothing
        to change, no query is needed; otherwise the order is read again, locked.
        """
        changed = self._customer(data)
        products = {line.sku: self._product(line, data) for line in data.lines}
        changed = changed or any(was_changed for _product, was_changed in products.values())
        customer = self._current("customer", data.customer.email.lower(), self.customers)
        order_values = {
            "customer_id": customer.pk,
            "placed_at": data.placed_at,
            "invoiced_on": data.invoiced_on,
            "shipping_method": data.shipping_method,
            "shipping_price": data.shipping_price,
            "standard_shipping_price": data.standard_shipping_price,
        }
        unchanged = not changed and stored is not None
        if unchanged and not self._differs(stored, data, order_values, products):
            return "unchanged"
        if stored is not None:
            stored = _locked(data.number, stored)
        if stored is None:
            order = Order.objects.create(number=data.number, **order_values)
            self._create_children(order, data, {sku: p for sku, (p, _c) in products.items()})
            return "created"
        order = stored.order
        order_changed = _set_changed(order, order_values)
        changed = self._update_children(stored, data, products) or changed
        if order_changed or changed:
            order.save()  # also marks it as updated by this import (updated_at)
            return "updated"
        return "unchanged"

    def _differs(self, stored: _Stored, data: OrderData, order_values: dict, products) -> bool:
        """Would importing this order change its row or its children's rows?"""
        if _differing(stored.order, order_values):
            return True
        if stored.lines.keys() != {line.line_id for line in data.lines}:
            return True
        delivered = data.delivered()
        for line in data.lines:
            values = self._line_values(line, products[line.sku][0], delivered[line.line_id])
            if _differing(stored.lines[line.line_id], values):
                return True
        return (
            stored.discounts != Counter(data.discounts)
            or stored.payments != Counter(data.payments)
            or stored.shipments != Counter(data.shipments)
        )

    def _customer(self, data: OrderData) -> bool:
        values = data.customer
        key = values.email.lower()
        customer = self._current("customer", key, self.customers)
        wanted = {name: getattr(values, name) for name in _CUSTOMER_FIELDS}
        if customer is None:
            customer = Customer.objects.create(email=values.email, **wanted)
            self._stage("customer", key, customer, data.precedence)
            return True
        if not self._decides("customer", key, data):
            return False
        return self._update_shared("customer", key, customer, wanted, data)[1]

    def _vendor(self, name: str) -> Vendor:
        key = name.lower()
        vendor = self._current("vendor", key, self.vendors)
        if vendor is None:  # V1: a vendor the shop has not set up is routed via the shop
            vendor = Vendor.objects.create(name=name, route=Route.VIA_SHOP)
            self._stage("vendor", key, vendor, None)
        return vendor

    def _product(self, line: LineData, data: OrderData) -> tuple[Product, bool]:
        product = self._current("product", line.sku, self.products)
        staged = self._staged.get(("product", line.sku))
        if staged and staged[1] is not None and product is not None:
            return product, False  # an earlier line of this order already set it
        flags = {flag: flag in line.flags for flag in ProductFlag.values}
        if product is None:
            product = Product.objects.create(
                sku=line.sku, name=line.name, vendor=self._vendor(line.vendor), **flags
            )
            self._stage("product", line.sku, product, data.precedence)
            return product, True
        if not self._decides("product", line.sku, data):
            return product, False
        wanted = {"name": line.name, "vendor_id": self._vendor(line.vendor).pk, **flags}
        return self._update_shared("product", line.sku, product, wanted, data)

    def _update_shared(
        self, kind: str, key: str, instance: Any, wanted: dict[str, object], data: OrderData
    ) -> tuple[Any, bool]:
        """Give a copy of a shared row this order's details, save what differs, and stage it.

        A copy, so the row in memory stays as it was should the order's transaction fail.
        """
        instance = copy.copy(instance)
        changed = _set_changed(instance, wanted)
        if changed:
            instance.save(update_fields=[name.removesuffix("_id") for name in changed])
        self._stage(kind, key, instance, data.precedence)
        return instance, bool(changed)

    def _line_values(self, line: LineData, product: Product, delivered: int) -> dict:
        return {
            "product_id": product.pk,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "vat_rate": line.vat_rate,
            "promotion": line.promotion,
            "serials": list(line.serials),
            "activated_at": line.activated_at,
            "delivered_quantity": delivered,
        }

    def _create_children(self, order: Order, data: OrderData, products: dict) -> None:
        delivered = data.delivered()
        lines = OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                line_id=line.line_id,
                **self._line_values(line, products[line.sku], delivered[line.line_id]),
            )
            for line in data.lines
        )
        self._create_rest(order, data, {line.line_id: line for line in lines})

    def _create_rest(
        self,
        order: Order,
        data: OrderData,
        lines: dict[str, OrderLine],
        *,
        discounts: bool = True,
        payments: bool = True,
        shipments: bool = True,
    ) -> None:
        if discounts:
            Discount.objects.bulk_create(
                Discount(order=order, code=code, amount=amount) for code, amount in data.discounts
            )
        if payments:
            Payment.objects.bulk_create(
                Payment(order=order, method=method, amount=amount)
                for method, amount in data.payments
            )
        if shipments and data.shipments:
            created = Shipment.objects.bulk_create(
                Shipment(
                    order=order,
                    shipped_at=shipment.shipped_at,
                    delivered_at=shipment.delivered_at,
                    carrier=shipment.carrier,
                    tracking=shipment.tracking,
                )
                for shipment in data.shipments
            )
            ShipmentLine.objects.bulk_create(
                ShipmentLine(shipment=row, line=lines[line_id], quantity=quantity)
                for row, shipment in zip(created, data.shipments, strict=True)
                for line_id, quantity in shipment.lines
            )

    def _update_children(self, stored: _Stored, data: OrderData, products: dict) -> bool:
        """Bring the order's lines, shipments, discounts and payments to `data`; True when
        anything changed. Refuses (nothing written) what would undo a held return."""
        order, existing = stored.order, stored.lines
        delivered = data.delivered()
        vanished = self._vanishing_lines(stored, data, delivered)
        new_shipments = Counter(data.shipments)
        shipments_changed = stored.shipments != new_shipments
        if shipments_changed:
            order.shipments.all().delete()
        if vanished:
            OrderLine.objects.filter(pk__in=[line.pk for line in vanished]).delete()

        to_update, to_create, fields = [], [], set()
        for line in data.lines:
            values = self._line_values(line, products[line.sku][0], delivered[line.line_id])
            old = existing.get(line.line_id)
            if old is None:
                to_create.append(OrderLine(order=order, line_id=line.line_id, **values))
            else:
                changed = _set_changed(old, values)
                if changed:
                    to_update.append(old)
                    fields.update(changed)
        if to_update:
            OrderLine.objects.bulk_update(to_update, sorted(fields))
        OrderLine.objects.bulk_create(to_create)

        discounts_changed = stored.discounts != Counter(data.discounts)
        payments_changed = stored.payments != Counter(data.payments)
        if discounts_changed:
            order.discounts.all().delete()
        if payments_changed:
            order.payments.all().delete()
        lines = {**existing, **{line.line_id: line for line in to_create}}
        self._create_rest(
            order,
            data,
            lines,
            discounts=discounts_changed,
            payments=payments_changed,
            shipments=shipments_changed,
        )
        return bool(
            vanished
            or to_update
            or to_create
            or discounts_changed
            or payments_changed
            or shipments_changed
        )

    @staticmethod
    def _vanishing_lines(stored: _Stored, data: OrderData, delivered: dict) -> list[OrderLine]:
        """The stored lines `data` no longer has; refuse when a line would drop below what
        tickets hold, or a line on a ticket would vanish."""
        existing = stored.lines
        for line in data.lines:
            old = existing.get(line.line_id)
            if old is not None and old.held_quantity > delivered[line.line_id]:
                raise _OrderRefused(
                    f"lines[{data.lines.index(line)}]",
                    _(BELOW_HELD).format(
                        line=line.line_id,
                        delivered=delivered[line.line_id],
                        held=old.held_quantity,
                    ),
                )
        wanted_ids = {line.line_id for line in data.lines}
        vanished = [line for line_id, line in existing.items() if line_id not in wanted_ids]
        if vanished:
            on_ticket = (
                OrderLine.objects.filter(pk__in=[line.pk for line in vanished])
                .filter(ticket_lines__isnull=False)
                .values_list("line_id", "ticket_lines__ticket__number")
                .order_by("pk")
                .first()
            )
            if on_ticket:
                raise _OrderRefused(
                    "lines", _(LINE_ON_TICKET).format(line=on_ticket[0], ticket=on_ticket[1])
                )
        return vanished
