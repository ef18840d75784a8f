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

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower

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


def _chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), _DB_CHUNK):
        yield ordered[start : start + _DB_CHUNK]


def _newest_source(newest: QuerySet, prefix: str) -> dict[str, Subquery]:
    """Annotations for the (placed_at, number) of the first order in `newest`."""
    return {
        "source_placed": Subquery(newest.values(f"{prefix}placed_at")[:1]),
        "source_number": Subquery(newest.values(f"{prefix}number")[:1]),
    }


def _stored(row: Any) -> _Row:
    precedence = None if row.source_placed is None else (row.source_placed, row.source_number)
    return _Row(row, precedence)


class _SharedRows:
    def __init__(self, orders: Sequence[OrderData]) -> None:
        self._known: dict[Key, _Row] = {}  # as stored
        self._batch: dict[Key, _Row] = {}  # staged by the planned orders of the batch
        self._order: dict[Key, _Row] = {}  # staged by the order being planned
        self._load(orders)

    def _load(self, orders: Sequence[OrderData]) -> None:
        """Read every customer, vendor and product the orders name, in a few queries."""
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
                self._known["customer", customer.email_lower] = _stored(customer)
        for chunk in _chunks(vendors):
            for vendor in (
                Vendor.objects.annotate(name_lower=Lower("name"))
                .filter(name_lower__in=chunk)
                .order_by("-pk")
            ):
                self._known["vendor", vendor.name_lower] = _Row(vendor, None)
        newest_line = OrderLine.objects.filter(product=OuterRef("pk")).order_by(
            "-order__placed_at", "-order__number"
        )
        for chunk in _chunks(skus):
            for product in (
                Product.objects.filter(sku__in=chunk)
                # with its vendor, so comparing a product's vendor asks the database nothing
                .select_related("vendor")
                .annotate(**_newest_source(newest_line, "order__"))
            ):
                self._known["product", product.sku] = _stored(product)

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
        """Give a copy of the row this order's details; return it, and whether any differs."""
        row = self.row(key)
        assert row is not None  # noqa: S101 - callers create the rows they do not find
        instance = copy.copy(row.instance)
        changed = _set_changed(instance, wanted)
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
