"""W8 across several withdrawals of one order: the withdrawal that completes the order
(every good delivered withdrawn, by it and the others together) is refunded the standard
delivery, once; goods never shipped or delivered do not keep an order from being whole."""

import datetime as dt
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from orders.models import Order
from policies.terms import PRESETS
from refunds.calculator import quote
from refunds.reports import refund_quote
from rma import services
from tests.builders import DELIVERED, nvr, order, phone, shipment, shipping
from tests.factories import AMSTERDAM, delivered_order

WEBSTORE4 = PRESETS["webstore4"]
ON = date(2026, 10, 5)
DELIVERY = shipping(price="6.95")


def delivery(items) -> list[tuple[str, Decimal]]:
    return [(str(item.description), item.amount) for item in items if item.rule == "W8"]


def withdraw(facts, selection, elsewhere=None):
    return quote(
        facts,
        selection,
        reason="withdrawal",
        terms=WEBSTORE4,
        on=ON,
        withdrawn_elsewhere=elsewhere,
    ).items


@pytest.mark.parametrize(
    ("selection", "elsewhere", "refunded"),
    [
        ([("1", 2)], {}, Decimal("0.00")),  # the first of two withdrawals: not whole yet
        ([("2", 1)], {"1": 2}, Decimal("6.95")),  # the second completes the order
        ([("2", 1)], {"1": 1}, Decimal("0.00")),  # one phone is still kept
        ([("1", 2), ("2", 1)], {}, Decimal("6.95")),  # one withdrawal of everything
    ],
    ids=["first-partial", "second-completes", "one-still-kept", "all-at-once"],
)
def test_the_withdrawal_that_completes_the_order_gets_the_delivery(selection, elsewhere, refunded):
    facts = order(phone(quantity=2), nvr(), shipping=DELIVERY)

    assert [amount for _text, amount in delivery(withdraw(facts, selection, elsewhere))] == [
        refunded
    ]


def test_delivery_is_never_refunded_twice():
    facts = order(phone(quantity=2), nvr(), shipping=DELIVERY)

    # Everything was withdrawn before; a further quote for the order's goods (an earlier
    # one being re-quoted) finds the order completed by another withdrawal.
    again = withdraw(facts, [("2", 1)], {"1": 2, "2": 1})

    assert [amount for _text, amount in delivery(again)] == [Decimal("0.00")]


def test_goods_never_delivered_do_not_keep_the_order_from_being_whole():
    # The NVR is still on its way: withdrawing the delivered phones completes what was
    # delivered, and the delivery costs come back.
    facts = order(
        phone(quantity=2),
        nvr(),
        shipping=DELIVERY,
        shipments=(shipment({"1": 2}, delivered=DELIVERED),),
    )

    assert [amount for _text, amount in delivery(withdraw(facts, [("1", 2)]))] == [Decimal("6.95")]


@pytest.mark.django_db
def test_the_quote_for_the_last_withdrawal_of_an_order_refunds_the_delivery(anna):
    # PostgreSQL flow: the first withdrawal is a ticket; the quote for the rest finds it.
    order = delivered_order(customer=anna, lines=((2, "120.00"), (1, "860.00")))
    Order.objects.filter(pk=order.pk).update(
        shipping_price=Decimal("6.95"), standard_shipping_price=Decimal("6.95")
    )
    with time_machine.travel(dt.datetime(2026, 10, 5, 10, tzinfo=AMSTERDAM)):
        services.ticket_create(
            order=order,
            reason="withdrawal",
            lines=[services.LineRequest("1", 2)],
            by=anna.user,
        )
        the_rest = refund_quote(order.number, lines=[("2", 1)], reason="withdrawal", on=ON)

    assert [i["amount"] for i in the_rest["items"] if i["rule"] == "W8"] == ["6.95"]
