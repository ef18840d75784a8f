"""The order as the rules read it: optional shipping times never crash a rule."""

import datetime as dt

import pytest

from orders.selectors import order_facts, order_for_rules
from tests.factories import delivered_order

pytestmark = pytest.mark.django_db


def test_a_shipment_delivered_without_a_shipping_time_counts_as_shipped_by_delivery():
    order = delivered_order(lines=((2, "100.00"),))
    order.shipments.update(shipped_at=None)

    facts = order_facts(order_for_rules(order.number))

    units = facts.units("1", on=dt.date(2026, 10, 20))
    assert [(u.shipped_at, u.delivered_at) for u in units] == [
        (dt.date(2026, 10, 3), dt.date(2026, 10, 3))
    ] * 2
    assert facts.last_delivery(dt.date(2026, 10, 20)) == dt.date(2026, 10, 3)


def test_a_shipment_with_neither_time_leaves_its_units_unshipped():
    order = delivered_order(lines=((1, "100.00"),))
    order.shipments.update(shipped_at=None, delivered_at=None)

    facts = order_facts(order_for_rules(order.number))

    assert facts.unshipped_quantity("1", on=dt.date(2026, 10, 20)) == 1
    assert facts.last_delivery(dt.date(2026, 10, 20)) is None
