"""Read an order once, with everything the rules need, into plain facts.

Three queries, whatever the size of the order (issue 19: the rules API answers within ten
times a bare Django view). `rules_order` reads the order with its customer, lines,
products and vendors in one, which is also all it takes to tell who may see it; then the
shipments with what each held, and the payments and discounts. `order_facts` does the
same for an `Order` already in hand (`order_for_rules`), reading its lines instead.

Everything is read as plain values (a model per row would cost more than the copy), and
each query is compiled to SQL once per connection (`core.prepared`): at this size Django
takes longer to build a query than PostgreSQL takes to answer it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import F, Value

from core.calendar import local_day
from core.prepared import Prepared
from orders.enums import ProductFlag
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

# Placeholders of the prepared queries (core.prepared): values no real parameter equals.
_NUMBER = "\x00order number"
_ORDER = -7_000_019

_FLAGS = tuple(ProductFlag.values)  # the Product columns of the flags, in this order
_LINE_COLUMNS = (
    "pk",
    "line_id",
    "product__sku",
    "name",
    "quantity",
    "unit_price",
    "vat_rate",
    "promotion",
    "serials",
    "activated_at",
    "held_quantity",
    "product__vendor__warranty_months",
    "product__warranty_months",
    "product__expected_lifetime_months",
    "product__vendor__doa_days",
    *(f"product__{flag}" for flag in _FLAGS),
)
_ORDER_COLUMNS = (
    "pk",
    "customer__user_id",
    "number",
    "customer__type",
    "customer__partner",
    "customer__country",
    "placed_at",
    "invoiced_on",
    "shipping_method",
    "shipping_price",
    "standard_shipping_price",
)

# The order with its customer and, one row per line (none for an order without lines,
# an outer join), each line with its product and vendor.
_ORDER_AND_LINES = Prepared(
    lambda number: (
        Order.objects.filter(number=number)
        .order_by("lines__pk")
        .values_list(*_ORDER_COLUMNS, *(f"lines__{column}" for column in _LINE_COLUMNS))
    ),
    _NUMBER,
)
_LINES = Prepared(
    lambda order: (
        OrderLine.objects.filter(order_id=order).order_by("pk").values_list(*_LINE_COLUMNS)
    ),
    _ORDER,
)
# One row per shipment line, or one for a shipment without lines (an outer join), in the
# shipments' own order.
_SHIPMENTS = Prepared(
    lambda order: (
        Shipment.objects.filter(order_id=order)
        .order_by("shipped_at", "pk", "lines__pk")
        .values_list("pk", "shipped_at", "delivered_at", "lines__line__line_id", "lines__quantity")
    ),
    _ORDER,
)
# Payments and discounts are a few rows of the same shape (a name and an amount): one query.
_PAYMENTS_AND_DISCOUNTS = Prepared(
    lambda order: (
        Payment.objects.filter(order_id=order)
        .annotate(kind=Value("payment"), name=F("method"))
        .values_list("kind", "pk", "name", "amount")
        .union(
            Discount.objects.filter(order_id=order)
            .annotate(kind=Value("discount"), name=F("code"))
            .values_list("kind", "pk", "name", "amount"),
            all=True,
        )
        .order_by("kind", "pk")
    ),
    _ORDER,
)


@dataclass(frozen=True)
class RulesOrder:
    """An order as the rules API reads it: its facts, and what tells who may see it."""

    pk: int
    customer_user_id: int | None
    facts: OrderFacts


def rules_order(number: str, *, held_by_ticket: dict[int, int] | None = None) -> RulesOrder | None:
    """The order `number` with its facts (three queries), or None if there is none."""
    rows = _ORDER_AND_LINES.rows(number)
    if not rows:
        return None
    width = len(_ORDER_COLUMNS)
    pk, user_id, *order = rows[0][:width]
    lines = [row[width:] for row in rows if row[width] is not None]
    return RulesOrder(
        pk=pk,
        customer_user_id=user_id,
        facts=_order_facts(pk, order, lines, held_by_ticket or {}),
    )


def order_for_rules(number: str) -> Order:
    """Fetch an order with its customer (one query); `order_facts` reads the rest."""
    return Order.objects.select_related("customer").get(number=number)


def order_facts(order: Order, *, held_by_ticket: dict[int, int] | None = None) -> OrderFacts:
    """Copy `order` with its lines, shipments, payments and discounts into the facts the
    rules read (three queries).

    `held_by_ticket` ({order line pk: quantity}) is the part of each line's held quantity
    that belongs to the ticket being decided, so it does not count against itself.
    """
    customer = order.customer
    values = (
        order.number,
        customer.type,
        customer.partner,
        customer.country,
        order.placed_at,
        order.invoiced_on,
        order.shipping_method,
        order.shipping_price,
        order.standard_shipping_price,
    )
    return _order_facts(order.pk, values, _LINES.rows(order.pk), held_by_ticket or {})


def _order_facts(
    pk: int,
    order: Sequence[Any],
    lines: Iterable[Sequence[Any]],
    own: dict[int, int],
) -> OrderFacts:
    """The facts of the order `pk` from its columns (_ORDER_COLUMNS after the user) and its
    lines' (_LINE_COLUMNS); reads the shipments, payments and discounts."""
    (
        number,
        customer_type,
        partner,
        country,
        placed_at,
        invoiced_on,
        shipping_method,
        shipping_price,
        standard_shipping_price,
    ) = order

    def day(moment: datetime) -> date:
        # W1: the customer's own calendar day, in their country's time zone.
        return local_day(moment, country)

    payments, discounts = _payments_and_discounts(pk)
    return OrderFacts(
        number=number,
        customer=CustomerFacts(type=customer_type, partner=partner, country=country),
        placed_at=day(placed_at),
        invoiced_on=invoiced_on,
        shipping=ShippingFacts(
            method=shipping_method, price=shipping_price, standard_price=standard_shipping_price
        ),
        discounts=discounts,
        payments=payments,
        lines=tuple(_line_facts(line, day, own) for line in lines),
        shipments=_shipments(pk, day),
    )


def _line_facts(
    line: Sequence[Any], day: Callable[[datetime], date], own: dict[int, int]
) -> LineFacts:
    (
        pk,
        line_id,
        sku,
        name,
        quantity,
        unit_price,
        vat_rate,
        promotion,
        serials,
        activated_at,
        held_quantity,
        vendor_warranty_months,
        warranty_months,
        expected_lifetime_months,
        vendor_doa_days,
        *flags,
    ) = line
    return LineFacts(
        id=line_id,
        sku=sku,
        name=name,
        quantity=quantity,
        unit_price=unit_price,
        vat_rate=vat_rate,
        flags=_flag_set(tuple(flags)),
        promotion=promotion,
        serials=tuple(serials),
        activated_at=day(activated_at) if activated_at else None,
        warranty_months=vendor_warranty_months,
        warranty_override_months=warranty_months,
        expected_lifetime_months=expected_lifetime_months,
        vendor_doa_days=vendor_doa_days,
        held_by_other_tickets=held_quantity - own.get(pk, 0),
    )


_FLAG_SETS: dict[tuple[bool, ...], frozenset[str]] = {}


def _flag_set(columns: tuple[bool, ...]) -> frozenset[str]:
    """Product.flags from the flag columns (_FLAGS); at most 2⁸ sets, each made once."""
    flags = _FLAG_SETS.get(columns)
    if flags is None:
        flags = _FLAG_SETS[columns] = frozenset(
            flag for flag, on in zip(_FLAGS, columns, strict=True) if on
        )
    return flags


def _shipments(order: int, day: Callable[[datetime], date]) -> tuple[ShipmentFacts, ...]:
    """The order's shipments that have left, each with its quantity of each line."""
    shipments: dict[int, tuple[datetime | None, datetime | None, dict[str, int]]] = {}
    for pk, shipped_at, delivered_at, line_id, quantity in _SHIPMENTS.rows(order):
        _shipped, _delivered, held = shipments.setdefault(pk, (shipped_at, delivered_at, {}))
        if line_id is not None:
            held[line_id] = quantity
    return tuple(
        facts
        for shipped_at, delivered_at, held in shipments.values()
        if (facts := shipment_facts(shipped_at, delivered_at, held, day)) is not None
    )


def shipment_facts(
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
    order: int,
) -> tuple[tuple[PaymentFacts, ...], tuple[DiscountFacts, ...]]:
    """The order's payments and discounts, each in the order they were imported."""
    paid, discounted = [], []
    for kind, _pk, name, amount in _PAYMENTS_AND_DISCOUNTS.rows(order):
        if kind == "payment":
            paid.append(PaymentFacts(method=name, amount=amount))
        else:
            discounted.append(DiscountFacts(code=name, amount=amount))
    return tuple(paid), tuple(discounted)
