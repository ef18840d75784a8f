"""W3: the date of notice decides, not the day staff type it in. A withdrawal that came by
post or e-mail is registered with the day the consumer sent it; eligibility and every
deadline run from that day, and the history says who registered it."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from notifications.models import Email
from notifications.rendering import email_render
from rma import services
from rma.models import TicketEvent
from tests.factories import AMSTERDAM, delivered_order
from withdrawals.rules import goods_back_by, refund_due_by

pytestmark = pytest.mark.django_db

# The factory's order arrived on Saturday 3 October 2026: the period's 14th day is Saturday
# 17 October, so it ends on Monday 19 October (W2). Staff open the post on Thursday 22nd.
POSTMARK = dt.date(2026, 10, 19)
OPENING_THE_POST = time_machine.travel(dt.datetime(2026, 10, 22, 9, tzinfo=AMSTERDAM))


def withdraw(order, by, **kwargs):
    return services.ticket_create(
        order=order,
        reason="withdrawal",
        lines=[services.LineRequest("1", 1)],
        by=by,
        **kwargs,
    )


@OPENING_THE_POST
def test_a_posted_notice_counts_from_its_postmark_with_every_deadline(anna, support):
    order = delivered_order(customer=anna)

    ticket = withdraw(order, support, notice_on=POSTMARK)

    assert ticket.notice_on == POSTMARK
    assert refund_due_by(ticket.notice_on) == dt.date(2026, 11, 2)  # W7 from the postmark
    created = TicketEvent.objects.get(ticket=ticket)
    assert created.by == support and created.data == {"notice_on": "2026-10-19"}
    receipt = Email.objects.get(ticket=ticket, kind="withdrawal_receipt")
    receipt.language = "en"
    subject, text, html = email_render(receipt)
    assert "We registered your notice of Oct. 19, 2026 on Oct. 22, 2026." in " ".join(text.split())
    assert goods_back_by(POSTMARK).day == 2 and "Nov. 2, 2026" in text  # W6


@OPENING_THE_POST
def test_the_same_notice_dated_the_day_it_is_typed_in_would_be_late(anna, support):
    order = delivered_order(customer=anna)

    with pytest.raises(services.TicketError, match="withdrawal period ended"):
        withdraw(order, support)


@OPENING_THE_POST
@pytest.mark.parametrize(
    ("notice_on", "message"),
    [
        (dt.date(2026, 10, 23), "cannot have been sent after today"),
        (dt.date(2026, 9, 30), "cannot have been sent before order"),
    ],
)
def test_a_notice_day_after_today_or_before_the_order_is_refused(anna, support, notice_on, message):
    order = delivered_order(customer=anna)

    with pytest.raises(services.TicketError, match=message):
        withdraw(order, support, notice_on=notice_on)

    assert not order.tickets.exists()


@OPENING_THE_POST
def test_only_staff_date_a_notice_back_and_only_a_withdrawal_has_one(anna, support):
    order = delivered_order(customer=anna)

    with pytest.raises(services.TicketError, match="is the day it is submitted"):
        withdraw(order, anna.user, notice_on=POSTMARK)
    with pytest.raises(services.TicketError, match="Only a withdrawal has a date of notice"):
        services.ticket_create(
            order=order,
            reason="defective",
            lines=[services.LineRequest("1", 1)],
            by=support,
            notice_on=POSTMARK,
        )
    assert not order.tickets.exists()


@OPENING_THE_POST
def test_support_registers_a_posted_notice_in_the_back_office(client, anna, support):
    order = delivered_order(customer=anna)
    client.force_login(support)

    response = client.post(
        reverse("admin:rma_ticket_add"),
        {"order": order.number, "reason": "withdrawal", "lines": "1:1", "notice_on": "2026-10-19"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert order.tickets.get().notice_on == POSTMARK
