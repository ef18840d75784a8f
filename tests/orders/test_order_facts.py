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


@pytest.mark.parametrize(
    ("country", "delivered_on"),
    [
        ("IE", dt.date(2026, 10, 3)),  # 23:30 in Dublin (IST, UTC+1)
        ("NL", dt.date(2026, 10, 4)),  # 00:30 in Amsterdam (CEST, UTC+2)
        ("FI", dt.date(2026, 10, 4)),  # 01:30 in Helsinki (EEST, UTC+3)
    ],
)
def test_the_delivery_day_is_the_customers_own_calendar_day(country, delivered_on):
    # W1 counts from the day after delivery where the consumer lives (issue 13, point 10).
    order = delivered_order(lines=((1, "100.00"),))
    order.customer.country = country
    order.customer.save(update_fields=["country"])
    order.shipments.update(delivered_at=dt.datetime(2026, 10, 3, 22, 30, tzinfo=dt.UTC))

    facts = order_facts(order_for_rules(order.number))

    assert facts.last_delivery(dt.date(2026, 10, 20)) == delivered_on


def test_a_delivery_across_the_dst_change_keeps_its_local_day():
    # Sunday 25 October 2026, 02:30 CET after the clocks went back: still the 25th.
    order = delivered_order(lines=((1, "100.00"),))
    order.shipments.update(delivered_at=dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC))

    facts = order_facts(order_for_rules(order.number))

    assert facts.last_delivery(dt.date(2026, 11, 1)) == dt.date(2026, 10, 25)
