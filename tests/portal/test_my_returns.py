"""A customer's orders and returns page (/my/, issue 15 point 2): per line what can be
returned today, for which reasons, until when and why not, in the rules' own sentences
with their rule ids; the customer's tickets with state and next step; a constant number
of queries whatever the number of orders, lines and tickets."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order
from orders.selectors import order_facts
from portal.overview import orders_facts
from refunds.reports import returnability
from rma import services
from tests.factories import AMSTERDAM, CustomerFactory, ShipmentFactory
from tests.portal.orders import NVR, PHONE, Item, order_of

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_an_anonymous_visitor_is_sent_to_the_login_and_back(client):
    response = client.get(reverse("portal:my_returns"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login") + "?next=/my/"


def test_each_line_shows_what_the_rules_decide_with_their_sentences_and_rule_ids(client, anna):
    order = order_of(anna)
    client.force_login(anna.user)

    response = client.get(reverse("portal:my_returns"))

    assert response.status_code == 200
    text = page_text(response)
    report = returnability(order, on=TODAY)
    for line in report["lines"]:
        for why in line["why"].values():
            # Every reason's decision, allowed or not, in the rules' own words and ids.
            assert why["sentence"] in text
            if why["rules"]:
                assert "(" + ", ".join(why["rules"]) + ")" in text
    assert "You can report a defect until Saturday 18 November 2028. <span" in text
    assert "(R4, V4, R14)" in text
    # Each reason named as people read it, then its sentence.
    assert "Defective / warranty</span>: You can report a defect" in text
    assert "You can withdraw until Wednesday 2 December 2026." in text
    assert "This shop does not take returns for an order error." in text
    assert "2 units can be returned today." in text
    assert "Legal guarantee until 18 November 2028 (R14)." in text
    assert reverse("portal:file_return", args=[order.number]) in text
    assert reverse("portal:withdraw") in text  # R1 has its own function (art. 11a)


def test_an_order_with_nothing_returnable_has_no_return_button(client, anna):
    order = order_of(anna, Item("Hikvision NVR", delivered=False))
    client.force_login(anna.user)

    text = page_text(client.get(reverse("portal:my_returns")))

    assert reverse("portal:file_return", args=[order.number]) not in text
    # Not delivered: only a withdrawal (the goods are cancelled), through its own function.
    assert "This item has not been delivered yet." in text
    assert reverse("portal:withdraw") in text


def test_tickets_show_their_state_and_next_step_and_only_the_customers_own(client, anna, support):
    order = order_of(anna)
    requested = services.ticket_create(
        order=order, reason="defective", lines=[services.LineRequest("1", 1)], by=anna.user
    )
    cancelled = services.ticket_create(
        order=order, reason="defective", lines=[services.LineRequest("2", 1)], by=anna.user
    )
    services.ticket_cancel(ticket=cancelled, by=anna.user)
    other = CustomerFactory(email="other@example.nl")
    theirs = services.ticket_create(
        order=order_of(other),
        reason="defective",
        lines=[services.LineRequest("1", 1)],
        by=other.user,
    )
    client.force_login(anna.user)

    text = page_text(client.get(reverse("portal:my_returns")))

    assert requested.number in text and cancelled.number in text
    assert theirs.number not in text
    assert "We are looking at your request and answer you by e-mail." in text
    assert "This return is closed. Nothing more to do." in text
    assert text.index(requested.number) < text.index("Closed") < text.index(cancelled.number)
    assert reverse("portal:my_ticket", args=[requested.number]) in text


def test_orders_are_newest_first_and_paginated(client, anna):
    numbers = []
    for day in range(12):
        order = order_of(anna, Item("Phone"))
        Order.objects.filter(pk=order.pk).update(
            placed_at=dt.datetime(2026, 11, 1 + day, 9, tzinfo=AMSTERDAM)
        )
        numbers.append(order.number)
    client.force_login(anna.user)

    first = page_text(client.get(reverse("portal:my_returns")))
    second = page_text(client.get(reverse("portal:my_returns") + "?page=2"))

    assert first.index(numbers[-1]) < first.index(numbers[-2])
    assert numbers[0] not in first and numbers[0] in second
    assert "Page 1 of 2" in first


def _customer_with(orders: int, lines: int, tickets: int, email: str):
    customer = CustomerFactory(email=email)
    made = [
        order_of(customer, *[Item(f"Product {n}", quantity=2) for n in range(lines)])
        for _ in range(orders)
    ]
    for n in range(tickets):
        ticket = services.ticket_create(
            order=made[n % orders],
            reason="defective",
            lines=[services.LineRequest(str(1 + (n // orders) % lines), 1)],
            by=customer.user,
        )
        if n % 2:
            services.ticket_cancel(ticket=ticket, by=customer.user)
    return customer


def _queries(client, customer, url=None) -> int:
    url = url or reverse("portal:my_returns")
    client.force_login(customer.user)
    client.get(url)  # the policies and calendar, read once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_page_reads_a_constant_number_of_queries(client):
    # One open and one closed ticket: each list reads its rows and their lines.
    small = _customer_with(1, 1, 2, "small@example.nl")
    large = _customer_with(10, 5, 10, "large@example.nl")

    few, many = _queries(client, small), _queries(client, large)

    assert few == many, (few, many)
    assert many <= 13  # 12, and the refunds waiting for a bank account (issue 18)


def test_the_newest_closed_returns_are_shown_and_all_are_on_their_own_list(client, anna):
    order = order_of(anna, Item("Phone", quantity=9))
    tickets = []
    for _ in range(8):
        ticket = services.ticket_create(
            order=order, reason="defective", lines=[services.LineRequest("1", 1)], by=anna.user
        )
        services.ticket_cancel(ticket=ticket, by=anna.user)
        tickets.append(ticket)
    still_open = services.ticket_create(
        order=order, reason="defective", lines=[services.LineRequest("1", 1)], by=anna.user
    )
    client.force_login(anna.user)

    overview = page_text(client.get(reverse("portal:my_returns")))
    everything = page_text(client.get(reverse("portal:my_tickets")))

    assert still_open.number in overview
    shown = [t for t in tickets if t.number in overview]
    assert shown == tickets[-5:]  # the five newest closed ones
    assert reverse("portal:my_tickets") in overview
    assert all(t.number in everything for t in [*tickets, still_open])


def test_the_list_of_all_returns_is_paginated_in_constant_queries(client, bram):
    small = _customer_with(1, 1, 1, "small@example.nl")
    large = _customer_with(10, 5, 30, "large@example.nl")
    url = reverse("portal:my_tickets")

    few, many = _queries(client, small, url), _queries(client, large, url)
    second = page_text(client.get(url + "?page=2"))
    client.force_login(bram.user)
    strangers = page_text(client.get(url))

    assert few == many, (few, many)
    assert "Page 2 of 2" in second
    assert "You have no returns yet." in strangers


def test_bulk_facts_are_the_facts_order_facts_reads(anna, jansen):
    orders = [
        order_of(anna),
        order_of(anna, PHONE, Item("Licence", flags={"digital": True})),
        order_of(jansen, NVR, Item("Late", delivered=False)),
    ]
    # A shipment that has not left and one delivered without a shipping time.
    ShipmentFactory(order=orders[2], shipped_at=None, delivered_at=None)
    ShipmentFactory(order=orders[1], shipped_at=None)
    services.ticket_create(
        order=orders[0], reason="defective", lines=[services.LineRequest("1", 1)], by=anna.user
    )
    fresh = list(Order.objects.select_related("customer").filter(pk__in=[o.pk for o in orders]))

    bulk = orders_facts(fresh)

    for order in fresh:
        assert bulk[order.pk] == order_facts(order)
