"""The back office's ticket pages: lists without a query per row, search, the action
buttons for exactly what the user may do, and tickets opened through the service."""

import re

import pytest
from django.urls import reverse

from rma.models import Ticket
from rma.states import State
from tests.factories import delivered_order
from tests.rma.lifecycle import ticket_in


def buttons(response) -> set[str]:
    return set(re.findall(r'<button type="submit" name="name" value="(\w+)"', response.text))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "role", "expected"),
    [
        (State.REQUESTED, "support", {"authorize", "reject", "cancel"}),
        (State.REQUESTED, "warehouse", set()),
        (State.AUTHORIZED, "warehouse", {"receive"}),
        (State.AUTHORIZED, "support", {"cancel", "expire"}),
        (State.DIAGNOSED, "accountant", {"resolve"}),
        (State.RESOLVED, "support", set()),
    ],
)
def test_the_ticket_page_offers_exactly_the_transitions_the_user_may_make(
    client, state, role, expected
):
    from tests.rma.lifecycle import staff

    ticket = ticket_in(state)
    client.force_login(staff(role))

    response = client.get(reverse("admin:rma_ticket_change", args=[ticket.pk]))

    assert response.status_code == 200
    assert buttons(response) == expected


@pytest.mark.django_db
def test_a_button_moves_the_ticket_and_the_history_shows_it(client, support):
    ticket = ticket_in(State.REQUESTED)
    client.force_login(support)

    response = client.post(
        reverse("admin:rma_ticket_transition", args=[ticket.pk]),
        {"name": "authorize", "note": "Send it in."},
        follow=True,
    )

    ticket.refresh_from_db()
    assert ticket.state == State.AUTHORIZED
    assert f"{ticket.number} is now authorized." in response.text
    assert "Send it in." in response.text


@pytest.mark.django_db
def test_a_stale_button_gives_a_clear_message_and_changes_nothing(client, support):
    ticket = ticket_in(State.AUTHORIZED)
    client.force_login(support)

    response = client.post(
        reverse("admin:rma_ticket_transition", args=[ticket.pk]),
        {"name": "reject", "note": "Too late."},
        follow=True,
    )

    ticket.refresh_from_db()
    assert ticket.state == State.AUTHORIZED
    assert "can no longer be rejected" in response.text


@pytest.mark.django_db
def test_the_warehouse_cannot_authorize_by_posting_the_form(client, warehouse):
    ticket = ticket_in(State.REQUESTED)
    client.force_login(warehouse)

    response = client.post(
        reverse("admin:rma_ticket_transition", args=[ticket.pk]),
        {"name": "authorize"},
        follow=True,
    )

    ticket.refresh_from_db()
    assert ticket.state == State.REQUESTED
    assert "not allowed" in response.text


@pytest.mark.django_db
def test_support_opens_a_ticket_from_the_admin(client, support, anna):
    order = delivered_order(customer=anna, lines=((2, "120.00"),))
    client.force_login(support)

    response = client.post(
        reverse("admin:rma_ticket_add"),
        {"order": order.number, "reason": "defective", "lines": "1:1", "note": "Dead pixel."},
        follow=True,
    )

    ticket = Ticket.objects.get(order=order)
    assert response.status_code == 200
    assert f"Opened {ticket.number}." in response.text
    assert ticket.lines.get().quantity == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"order": "WS-NOPE", "reason": "defective"}, "There is no order with this number."),
        ({"reason": "defective", "lines": "1:5"}, "only 2 can be returned, not 5"),
        ({"reason": "defective", "lines": "1:x"}, "Write each line as line:quantity"),
        ({"reason": "defective", "lines": "7:1"}, "Line 7 is not part of order"),
    ],
)
def test_opening_a_ticket_with_bad_input_says_why_and_writes_nothing(
    client, support, anna, form, message
):
    order = delivered_order(customer=anna, lines=((2, "120.00"),))
    client.force_login(support)

    response = client.post(reverse("admin:rma_ticket_add"), {"order": order.number, **form})

    assert response.status_code == 200
    assert message in response.text
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_the_ticket_list_costs_the_same_queries_for_many_tickets(
    client, support, django_assert_max_num_queries
):
    for _ in range(3):
        ticket_in(State.REQUESTED)
    client.force_login(support)
    url = reverse("admin:rma_ticket_changelist")
    client.get(url)  # warm the session and content types

    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(12):
        ticket_in(State.REQUESTED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)

    assert response.text.count("RMA-") >= 15


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["number", "order", "email", "serial"])
def test_staff_find_a_ticket_by_number_order_email_or_serial(client, support, anna, field):
    order = delivered_order(customer=anna, lines=((1, "120.00"),))
    line = order.lines.get()
    line.serials = ["GS2614A001"]
    line.save()
    from rma import services

    ticket = services.ticket_create(
        order=order,
        reason="defective",
        lines=[services.LineRequest("1", 1, serials=["GS2614A001"])],
        by=anna.user,
    )
    other = ticket_in(State.REQUESTED)
    query = {
        "number": ticket.number,
        "order": order.number,
        "email": "anna@example.nl",
        "serial": "GS2614A001",
    }[field]
    client.force_login(support)

    response = client.get(reverse("admin:rma_ticket_changelist"), {"q": query})

    assert ticket.number in response.text
    assert other.number not in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page",
    [
        "admin:orders_order_changelist",
        "admin:orders_customer_changelist",
        "admin:orders_product_changelist",
        "admin:orders_vendor_changelist",
        "admin:policies_returnpolicy_changelist",
    ],
)
def test_support_can_read_every_back_office_list(client, support, page):
    delivered_order(lines=((1, "10.00"), (2, "20.00")))
    client.force_login(support)

    assert client.get(reverse(page)).status_code == 200
