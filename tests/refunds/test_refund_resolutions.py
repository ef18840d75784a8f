"""F7, P1, W7, D4: what a refund books besides money, and when D4 stops."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from policies.models import ReturnPolicy
from refunds.models import Channel, RefundPart, StoreCreditEntry
from refunds.refunding import refund_approve, refund_pay, refund_propose
from refunds.services import store_credit_balance
from rma import services
from rma.deadlines import Stage
from rma.models import Ticket
from rma.selectors import stage_due_q
from tests.factories import CustomerFactory, staff_member
from tests.refunds.refund_flow import accountant, diagnosed_ticket

pytestmark = pytest.mark.django_db


def _paid(ticket):
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    refund = refund_approve(refund=refund, by=accountant("bea"))
    return refund_pay(refund=refund, by=accountant("bea"))


def test_a_store_credit_resolution_books_a_grant_valid_two_years_never_money():
    ticket = diagnosed_ticket(quantity=1, price="120.00")
    ticket = services.ticket_resolve(
        ticket=ticket, by=staff_member("support"), resolution="store_credit"
    )
    refund = _paid(ticket)
    part = refund.parts.get()
    assert (part.method, part.channel) == ("store_credit", Channel.STORE_CREDIT)
    grant = part.grant
    assert grant.ticket == ticket and grant.amount == Decimal("120.00")
    assert grant.valid_until == dt.date(grant.issued_on.year + 2, grant.issued_on.month,
                                        grant.issued_on.day)  # fmt: skip
    assert store_credit_balance(ticket.order.customer) == Decimal("120.00")
    assert refund.state == "paid" and refund.credit_note.total == Decimal("120.00")


def test_partner_restocking_credit_is_valid_one_year_and_keeps_its_fee():
    ReturnPolicy.objects.filter(preset="webstore4").update(partner_restocking=True)
    partner = CustomerFactory(partner_=True, email="partner@example.nl")
    ticket = diagnosed_ticket(
        quantity=1, price="100.00", reason="order_error", customer=partner, paid_with="card"
    )
    refund = _paid(ticket)
    assert [(item.rule, item.amount) for item in refund.items.all()] == [
        ("F1", Decimal("100.00")),
        ("P1", Decimal("-20.00")),
    ]
    grant = refund.parts.get().grant
    assert grant.amount == Decimal("80.00")
    assert (grant.valid_until - grant.issued_on).days in (365, 366)  # P1: one year


def test_the_database_refuses_store_credit_paid_out_as_money():
    ticket = diagnosed_ticket(quantity=1)
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    with pytest.raises(IntegrityError), transaction.atomic():
        RefundPart.objects.create(
            refund=refund, method="store_credit", channel=Channel.SEPA, amount=Decimal("1.00")
        )


def test_a_withdrawal_refund_is_due_on_the_tickets_w7_day_and_d4_stops_when_paid():
    ticket = diagnosed_ticket(reason="withdrawal", quantity=1, paid_with="card")
    assert ticket.refund_due_on is not None
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    assert refund.due_on == ticket.refund_due_on

    def overdue_on(day):
        due = stage_due_q(Stage.REFUND_OVERDUE, policies=ReturnPolicy.objects.all(), today=day)
        return Ticket.objects.filter(due, pk=ticket.pk).exists()

    late = ticket.refund_due_on + dt.timedelta(days=1)
    services.ticket_resolve(ticket=ticket, by=staff_member("support"), resolution="refund")
    assert overdue_on(late)  # resolved is not paid: D4 still alerts
    refund = refund_approve(refund=refund, by=accountant("bea"))
    part = refund.parts.get()
    refund_pay(refund=refund, by=accountant("bea"), references={part.pk: "card-refund-1"})
    assert not overdue_on(late)
    assert StoreCreditEntry.objects.count() == 0  # a card refund books no store credit
