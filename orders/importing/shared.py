"""The customers, vendors and products that orders share, in memory for a whole import.

They are read once for the file. What an order would change of them is staged in layers:
an order's changes join its batch's when the order is planned without refusal, and the
batch's join what is known to be stored when the batch's transaction commits. A refused
order, or a batch whose transaction fails, thus leaves no trace in memory either.

Shared rows are never changed in place: an order that changes one works on a copy, so a
layer that is forgotten takes its changes with it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet, Window
from django.db.models.functions import Lower, RowNumber

from orders.importing.bulk import bulk_update
from orders.importing.values import OrderData
from orders.models import Customer, Order, OrderLine, Product, Vendor

_DB_CHUNK = 1000  # keys per IN (...) list; SQLite limits the number of parameters

Precedence = tuple[datetime, str]  # (placed_at, number) of an order: the later one decides
Key = tuple[str, str]  # ("customer", e-mail lower case) / ("vendor", name lower) / ("product", SKU)


@dataclass
class _Row:
    """A shared row as an import would leave it.

    `precedence`: the order whose details it holds (None: no order decided them yet);
    `changed`: the columns to write for a stored row; a row without pk is to be created.
    """

    instance: Any
    precedence: Precedence | None
    changed: frozenset[str] = field(default_factory=frozenset)


def _chunks(keys: Iterable[Any]) -> Iterable[list[Any]]:
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), _DB_CHUNK):
        yield ordered[start : start + _DB_CHUNK]


def _newest_orders(rows: QuerySet, key: str, prefix: str, ids: Iterable[int]) -> dict:
    """The (placed_at, number) of the most recently placed order among each id's rows.

    A window over the rows of these ids alone: a correlated subquery (ORDER BY placed_at
    DESC LIMIT 1 per product) let PostgreSQL walk the orders' placed_at index for each
    product instead, 1.3 s for 400 products over 5,000 orders and growing with them.
    """
    placed, number = f"{prefix}placed_at", f"{prefix}number"
    newest: dict[int, Precedence] = {}
    for chunk in _chunks(ids):
        ranked = (
            rows.filter(**{f"{key}__in": chunk})
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=F(key),
                    order_by=[F(placed).desc(), F(number).desc()],
                )
            )
            .filter(rank=1)
        )
        for pk, placed_at, order_number in ranked.values_list(key, placed, number):
            newest[pk] = (placed_at, order_number)
    return newest


class _SharedRows:
    def __init__(self, orders: Sequence[OrderData]) -> None:
        self._known: dict[Key, _Row] = {}  # as stored
        self._batch: dict[Key, _Row] = {}  # staged by the planned orders of the batch
        self._order: dict[Key, _Row] = {}  # staged by the order being planned
        self._load(orders)

    def _load(self, orders: Sequence[OrderData]) -> None:
        """Read every customer, vendor and product the orders name, in a few queries,
        with the newest order that names each (what decides its details)."""
        emails = {order.customer.email.lower() for order in orders}
        skus = {line.sku for order in orders for line in order.lines}
        vendors = {line.vendor.lower() for order in orders for line in order.lines}
        customers = {}
        for chunk in _chunks(emails):
            for customer in (
                Customer.objects.annotate(email_lower=Lower("email"))
                .filter(email_lower__in=chunk)
                .order_by("-pk")  # several differing only in case: the oldest wins
            ):
                customers[customer.email_lower] = customer
        newest = _newest_orders(
            Order.objects.all(), "customer_id", "", (c.pk for c in customers.values())
        )
        for email, customer in customers.items():
            self._known["customer", email] = _Row(customer, newest.get(customer.pk))
        for chunk in _chunks(vendors):
            for vendor in (
                Vendor.objects.annotate(name_lower=Lower("name"))
                .filter(name_lower__in=chunk)
                .order_by("-pk")
            ):
                self._known["vendor", vendor.name_lower] = _Row(vendor, None)
        # With its vendor, so comparing a product's vendor asks the database nothing.
        products: list[Product] = []
        for chunk in _chunks(skus):
            products += Product.objects.filter(sku__in=chunk).select_related("vendor")
        newest = _newest_orders(
            OrderLine.objects.all(), "product_id", "order__", (p.pk for p in products)
        )
        for product in products:
            self._known["product", product.sku] = _Row(product, newest.get(product.pk))

    # Reading through the layers.

    def row(self, key: Key) -> _Row | None:
        for layer in (self._order, self._batch, self._known):
            if key in layer:
                return layer[key]
        return None

    def get(self, key: Key) -> Any:
        row = self.row(key)
        return None if row is None else row.instance

    def set_by_order(self, key: Key) -> bool:
        """Did the order being planned already set this row's details?"""
        return key in self._order and self._order[key].precedence is not None

    def decides(self, key: Key, data: OrderData) -> bool:
        """May this order set the details of a shared row? Only if no newer order did.

        An order that already set them (an earlier line of it with the same SKU) does.
        """
        if self.set_by_order(key):
            return True
        row = self.row(key)
        return row is None or row.precedence is None or data.precedence >= row.precedence

    # What an order stages.

    def create(self, key: Key, instance: Any, data: OrderData | None) -> None:
        """A row this import creates (`data`: the order whose details it holds)."""
        self._order[key] = _Row(instance, None if data is None else data.precedence)

    def update(self, key: Key, wanted: dict[str, Any], data: OrderData) -> tuple[Any, bool]:
        """Give the row this order's details; return it, and whether any of them differs.

        A row that differs is copied first, so the row as it was stays in its layer.
        """
        row = self.row(key)
        assert row is not None  # noqa: S101 - callers create the rows they do not find
        instance, changed = row.instance, _differing(row.instance, wanted)
        if changed:
            instance = copy.copy(instance)
            for name in changed:
                setattr(instance, name, wanted[name])
        self._order[key] = _Row(instance, data.precedence, row.changed | set(changed))
        return instance, bool(changed)

    def keep_order(self) -> None:
        self._batch.update(self._order)
        self._order = {}

    def forget_order(self) -> None:
        self._order = {}

    # What a batch writes.

    def write_batch(self) -> None:
        """Create and update the shared rows the batch's orders staged, in bulk.

        Vendors first: a new product names a new vendor by its instance, which then has
        its pk.
        """
        for model in (Vendor, Customer, Product):
            kind = model._meta.model_name
            rows = [row for (k, _key), row in self._batch.items() if k == kind]
            model.objects.bulk_create([row.instance for row in rows if row.instance.pk is None])
            updated = [row for row in rows if row.instance.pk is not None and row.changed]
            columns = {name.removesuffix("_id") for row in updated for name in row.changed}
            bulk_update(model, [row.instance for row in updated], sorted(columns))

    def keep_batch(self) -> None:
        """The batch committed: what it staged is what is stored."""
        for key, row in self._batch.items():
            self._known[key] = _Row(row.instance, row.precedence)
        self._batch = {}

    def forget_batch(self) -> None:
        self._batch = {}
        self._order = {}


def _differing(instance: object, values: dict[str, object]) -> list[str]:
    """The names of the values that differ from the instance's."""
    return [name for name, value in values.items() if getattr(instance, name) != value]


def _set_changed(instance: object, values: dict[str, object]) -> list[str]:
    """Set the values that differ; return their names."""
    changed = _differing(instance, values)
    for name in changed:
        setattr(instance, name, values[name])
    return changed
