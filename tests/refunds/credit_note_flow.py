"""Paid refunds of orders with several VAT rates, for the credit-note and export tests.

`paid_refund()` goes the whole way through the services: an order of lines at their own
VAT rates, a ticket filed, authorized and received, every unit diagnosed (with its F4
deduction, an R8 investigation if asked), the refund proposed by Ada, approved and paid
by Bea: the credit note is issued by the payment, as in the shop.
"""

from __future__ import annotations

from decimal import Decimal

import time_machine
from django.db.models import F
from django.utils import timezone

from orders.models import Payment, ShipmentLine
from policies.models import ReturnPolicy
from refunds.models import Channel, Refund
from refunds.refunding import refund_approve, refund_pay, refund_propose
from rma import services
from rma.models import Grade, Outcome, ReturnedUnit, TicketLine
from rma.services.diagnosis import unit_diagnose
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ShipmentFactory,
    staff_member,
)
from tests.refunds.refund_flow import accountant
from tests.rma.units import WITHDRAWAL_DAY

# (unit price, VAT rate, F4 deduction) per line, one unit each.
TWO_RATES = (("120.00", "21", "15.00"), ("40.00", "9", "0.00"))


def approved_refund_of(
    *,
    customer=None,
    reason: str = "withdrawal",
    lines=TWO_RATES,
    preset: str | None = None,
    paid_with: str = "card",
    investigation_hours: str = "0",
    shipping: str = "6.95",
) -> Refund:
    """A refund of every line of a fresh order, proposed by Ada and approved by Bea."""
    customer = customer or CustomerFactory()
    order = OrderFactory(
        customer=customer,
        shipping_price=Decimal(shipping),
        standard_shipping_price=Decimal(shipping),
    )
    shipment = ShipmentFactory(order=order)
    total = Decimal(shipping)
    for index, (price, rate, _deduction) in enumerate(lines, start=1):
        line = OrderLineFactory(
            order=order, line_id=str(index), unit_price=Decimal(price), vat_rate=Decimal(rate)
        )
        ShipmentLine.objects.create(shipment=shipment, line=line, quantity=1)
        total += Decimal(price)
    Payment.objects.create(order=order, method=paid_with, amount=total)
    policy = ReturnPolicy.objects.get(preset=preset) if preset else None
    with time_machine.travel(WITHDRAWAL_DAY, tick=True):  # within every window
        ticket = services.ticket_create(
            order=order,
            reason=reason,
            lines=[services.LineRequest(str(n), 1) for n in range(1, len(lines) + 1)],
            by=customer.user,
            policy=policy,
        )
        ticket = services.ticket_authorize(ticket=ticket, by=staff_member("support"))
        ticket = services.ticket_receive(ticket=ticket, by=staff_member("warehouse"))
    if not ReturnedUnit.objects.filter(ticket_line__ticket=ticket).exists():
        for ticket_line in ticket.lines.all():
            ReturnedUnit.objects.create(
                ticket_line=ticket_line,
                number=1,
                received_at=timezone.now(),
                received_by=staff_member("warehouse"),
            )
        TicketLine.objects.filter(ticket=ticket).update(received_quantity=F("quantity"))
    deductions = {str(n): Decimal(d) for n, (_p, _r, d) in enumerate(lines, start=1)}
    hours = Decimal(investigation_hours)
    units = ReturnedUnit.objects.filter(ticket_line__ticket=ticket).select_related(
        "ticket_line__order_line"
    )
    for unit in units.order_by("pk"):
        deduction = deductions[unit.ticket_line.order_line.line_id]
        unit_diagnose(
            unit=unit,
            by=staff_member("support"),
            grade=Grade.SIGNS_OF_USE if deduction else Grade.OPENED_AS_NEW,
            locked=bool(hours),  # R8: a second investigation, charged (F5)
            serial_matches=True,
            accessories_complete=True,
            defect_confirmed=None if reason in ("withdrawal", "order_error") else True,
            investigation_hours=hours,
            deduction=deduction,
            deduction_reason="Scratched housing" if deduction else "",
            outcome=Outcome.REFUND,
        )
        hours = Decimal("0")  # one investigation for the ticket
    refund = refund_propose(ticket=ticket, by=staff_member("accountant"))
    return refund_approve(refund=refund, by=accountant("bea"))


def refund_pay_outside(refund: Refund, by=None) -> Refund:
    """Bea books every part paid outside Retour (card, PayPal …) with a reference."""
    references = {
        part.pk: f"re_{refund.number}_{part.pk}"
        for part in refund.parts.filter(channel=Channel.OUTSIDE)
    }
    return refund_pay(refund=refund, by=by or accountant("bea"), references=references)


def paid_refund(**kwargs) -> Refund:
    """`approved_refund_of(**kwargs)`, paid: its credit note is issued."""
    return refund_pay_outside(approved_refund_of(**kwargs))
