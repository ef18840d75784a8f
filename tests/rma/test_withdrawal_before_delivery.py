"""W1, CRD 9(3): a consumer may withdraw before the goods arrive, and from digital content
not yet supplied. Those units go on the withdrawal without being held or sent back: no
label for them, no reminder to ship them, the refund due by W7 all the same."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from deadlines.chasing import chase_deadlines
from notifications.models import Email
from notifications.rendering import email_message_build, email_render
from orders.models import OrderLine, Product, ShipmentLine
from rma import services
from rma.states import State
from tests.factories import AMSTERDAM, OrderFactory, OrderLineFactory, ShipmentFactory

pytestmark = pytest.mark.django_db

# Placed Thursday 1 October 2026, shipped Friday 2nd; the consumer withdraws on Saturday 3rd.
IN_TRANSIT = dt.datetime(2026, 10, 3, 9, tzinfo=AMSTERDAM)


def order_in_transit(customer, *, delivered: int = 0, quantity: int = 2):
    """An order of `quantity` phones of which `delivered` arrived; the rest is on its way."""
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, line_id="1", quantity=quantity, delivered_quantity=0)
    if delivered:
        arrived = ShipmentFactory(order=order)
        ShipmentLine.objects.create(shipment=arrived, line=line, quantity=delivered)
    on_its_way = ShipmentFactory(order=order, delivered_at=None)
    ShipmentLine.objects.create(shipment=on_its_way, line=line, quantity=quantity - delivered)
    OrderLine.objects.filter(pk=line.pk).update(delivered_quantity=delivered)
    return order


def withdraw(order, by, quantity=2):
    return services.ticket_create(
        order=order, reason="withdrawal", lines=[services.LineRequest("1", quantity)], by=by
    )


@time_machine.travel(IN_TRANSIT)
def test_a_withdrawal_before_delivery_holds_nothing_and_sends_no_label(
    anna, support, django_capture_on_commit_callbacks
):
    order = order_in_transit(anna)

    ticket = withdraw(order, anna.user)
    ticket = services.ticket_authorize(ticket=ticket, by=support)

    line = ticket.lines.get()
    assert (line.quantity, line.undelivered_quantity) == (2, 2)
    assert OrderLine.objects.get(order=order).held_quantity == 0
    assert not ticket.goods_to_return
    assert ticket.refund_due_on == dt.date(2026, 10, 19)  # W7 from Saturday 3rd (W2: Monday)
    authorized = Email.objects.get(ticket=ticket, kind="ticket_authorized")
    authorized.language = "en"
    subject, text, html = email_render(authorized)
    assert "Nothing needs to come back" in text and "no return label" in text
    assert "return label" not in subject
    assert email_message_build(authorized).attachments == []


@time_machine.travel(IN_TRANSIT)
def test_its_label_is_refused_and_no_reminder_asks_for_the_goods(client, anna, support):
    ticket = services.ticket_authorize(
        ticket=withdraw(order_in_transit(anna), anna.user), by=support
    )
    client.force_login(support)

    response = client.get(reverse("ticket_label", args=[ticket.number]))
    with time_machine.travel(IN_TRANSIT + dt.timedelta(days=20)):
        chase_deadlines(now=IN_TRANSIT + dt.timedelta(days=20))

    assert response.status_code == 409
    assert "withdrawn before they were delivered" in response.content.decode()
    assert not Email.objects.filter(ticket=ticket, kind="reminder_ship").exists()
    ticket.refresh_from_db()
    assert ticket.state == State.AUTHORIZED


@time_machine.travel(IN_TRANSIT)
def test_delivered_units_go_back_and_the_undelivered_ones_do_not(anna, support):
    order = order_in_transit(anna, delivered=1)

    ticket = services.ticket_authorize(ticket=withdraw(order, anna.user), by=support)

    line = ticket.lines.get()
    assert (line.quantity, line.undelivered_quantity) == (2, 1)
    assert OrderLine.objects.get(order=order).held_quantity == 1
    assert ticket.goods_to_return
    authorized = Email.objects.get(ticket=ticket, kind="ticket_authorized")
    label = dict(
        (name, mimetype) for name, _content, mimetype in email_message_build(authorized).attachments
    )
    assert label == {f"{ticket.number}.pdf": "application/pdf"}


@time_machine.travel(IN_TRANSIT)
def test_units_withdrawn_before_delivery_cannot_be_withdrawn_twice_until_released(anna):
    order = order_in_transit(anna)
    first = withdraw(order, anna.user)

    with pytest.raises(services.TicketError, match="only 0 can be returned, not 1"):
        withdraw(order, anna.user, quantity=1)
    services.ticket_cancel(ticket=first, by=anna.user)
    again = withdraw(order, anna.user)

    assert again.lines.get().undelivered_quantity == 2


@time_machine.travel(IN_TRANSIT)
def test_only_a_withdrawal_takes_goods_that_have_not_arrived(anna):
    order = order_in_transit(anna)

    with pytest.raises(services.TicketError):
        services.ticket_create(
            order=order,
            reason="defective",
            lines=[services.LineRequest("1", 1)],
            by=anna.user,
        )
    assert not order.tickets.exists()


@time_machine.travel(IN_TRANSIT)
def test_digital_content_not_yet_activated_is_withdrawn_with_nothing_to_send(anna, support):
    order = OrderFactory(customer=anna)
    licence = OrderLineFactory(
        order=order, line_id="1", quantity=1, delivered_quantity=0, unit_price=Decimal("395.00")
    )
    Product.objects.filter(pk=licence.product_id).update(digital=True, activates_on_use=True)

    ticket = services.ticket_authorize(ticket=withdraw(order, anna.user, quantity=1), by=support)

    assert ticket.lines.get().undelivered_quantity == 1
    assert not ticket.goods_to_return
    authorized = Email.objects.get(ticket=ticket, kind="ticket_authorized")
    assert email_message_build(authorized).attachments == []
